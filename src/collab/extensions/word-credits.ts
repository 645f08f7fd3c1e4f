/**
 * Words credited by the Yjs client ids that typed them (tracking/writing/word-credits.ts), in
 * two hooks around persistence (700):
 * - `claims` (750), before the update is applied: loads the document's client id -> writer map
 *   with the document, and claims the update's unclaimed client ids for the connection's user,
 *   durably, before the update can be acknowledged. A writer's awareness names its client id
 *   when it connects, before its first keystroke: that id is claimed then, in the background, so
 *   the first keystroke usually finds it stored instead of waiting for the database (a connect
 *   burst made every first keystroke queue behind the others' claims: many-docs warm-up);
 * - `journal` (650), after persistence applied and queued it: an update that carried another
 *   writer's words (the tap then leaves them out of its log record: DocumentEdit.credits) gets
 *   each writer's share journaled as a words-only log record (an empty Yjs update), committed
 *   before Hocuspocus acknowledges the update.
 */
import type { Extension, afterUnloadDocumentPayload, beforeSyncPayload, onAwarenessUpdatePayload, onLoadDocumentPayload } from '@hocuspocus/server';
import type { UpdateRecord } from '../../db/document-store.js';
import type { Logger } from '../../lib/logger.js';
import type { ClientWriters } from '../../services/writing/client-writers.js';
import type { DocumentEditConsumer } from '../../tracking/document-edit.js';
import { refuseForStorage } from '../close-codes.js';
import { safeHook } from '../safe-hook.js';
import { updateMetaOf } from '../update-meta.js';
import type { CollabContext } from '../context.js';

const SYNC_STEP_2 = 1;
const SYNC_UPDATE = 2;
/** A Yjs v1 update with nothing in it: the carrier of a words-only log record. */
const EMPTY_UPDATE = new Uint8Array([0, 0]);

export interface WordCreditExtensions {
  claims: Extension<CollabContext>;
  journal: Extension<CollabContext>;
  /** Subscribe to the document tap: collects the edits whose words go to several writers. */
  onEdit: DocumentEditConsumer;
}

export function createWordCreditExtensions(deps: { writers: ClientWriters; appender: { append(record: UpdateRecord): Promise<number> }; clock: { now(): number }; logger: Logger }): WordCreditExtensions {
  const { writers, appender, clock, logger } = deps;
  /** Words-only log records per document, waiting for the journal hook of the update that carried them. */
  const waiting = new Map<string, UpdateRecord[]>();

  const isUpdate = (type: number, payload: Uint8Array): boolean => (type === SYNC_UPDATE || type === SYNC_STEP_2) && !(payload.byteLength <= 2 && payload.every((b) => b === 0));

  return {
    onEdit(edit) {
      if (edit.credits === undefined) return;
      const records = waiting.get(edit.documentName) ?? [];
      const sender = edit.userId ?? undefined;
      for (const c of edit.credits) {
        // Several instances: each share claims the ranges of its writer's client ids (the sender's also those of unknown ids).
        const ranges = edit.insertedRanges?.filter((r) => (writers.writerOf(edit.documentName, r.client) ?? sender) === c.userId);
        records.push({ documentName: edit.documentName, update: EMPTY_UPDATE, userId: c.userId, receivedAt: edit.at, words: { added: c.added, removed: c.removed, net: c.net }, ...(ranges !== undefined && ranges.length > 0 ? { wordRanges: ranges } : {}) });
      }
      waiting.set(edit.documentName, records);
    },

    claims: {
      extensionName: 'storyloom-word-claims',
      priority: 750,
      async onLoadDocument({ documentName }: onLoadDocumentPayload<CollabContext>) {
        try {
          await writers.load(documentName);
        } catch (error) {
          // Words are then credited to the connections that send them, as before client ids.
          logger.warn({ err: error, document: documentName }, 'client id -> writer map not loaded');
        }
      },
      // After awareness-identity (600) stamped each state with the connection's user: only ids this
      // connection introduced carry its user, so nobody claims ahead for someone else's id.
      onAwarenessUpdate: safeHook<onAwarenessUpdatePayload<CollabContext>>(logger, 'word-claims.onAwarenessUpdate', ({ connection, added, awareness, documentName }) => {
        const userId = connection?.context?.user?.userId;
        if (connection === undefined || connection.readOnly || userId === undefined || added.length === 0) return;
        const states = awareness.getStates();
        const own = added.filter((id) => (states.get(id) as { user?: { id?: unknown } } | undefined)?.user?.id === userId);
        // Not awaited: a failed claim logs and stays in memory; the keystroke's own claim waits for this one.
        if (own.length > 0) void writers.claim(documentName, own, userId, clock.now());
      }),
      async beforeSync({ type, payload, connection, context, documentName }: beforeSyncPayload<CollabContext>) {
        const userId = context.user?.userId;
        if (connection.readOnly || userId === undefined || !isUpdate(type, payload)) return;
        let clients: Iterable<number>;
        try {
          clients = updateMetaOf(payload).from.keys();
        } catch {
          return; // persistence refuses it
        }
        await writers.claim(documentName, clients, userId, clock.now());
      },
      async afterUnloadDocument({ documentName }: afterUnloadDocumentPayload) {
        writers.forget(documentName);
      },
    },

    journal: {
      extensionName: 'storyloom-word-credits',
      priority: 650,
      async beforeSync({ documentName, context }: beforeSyncPayload<CollabContext>) {
        const records = waiting.get(documentName);
        if (records === undefined || records.length === 0) return;
        waiting.delete(documentName);
        const results = await Promise.allSettled(records.map((r) => appender.append(r)));
        const failed = records.filter((_, i) => results[i]!.status === 'rejected');
        if (failed.length === 0) return;
        // Not acknowledged; the records that did not commit wait for the document's next update.
        logger.error({ err: (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason, document: documentName, records: failed.length }, 'credited words not stored; retrying with the next update');
        waiting.set(documentName, [...failed, ...(waiting.get(documentName) ?? [])]);
        throw refuseForStorage(context, 'The update could not be stored; reconnect to retry');
      },
      async afterUnloadDocument({ documentName }: afterUnloadDocumentPayload) {
        const left = waiting.get(documentName);
        if (left !== undefined && left.length > 0) logger.error({ document: documentName, waiting: left.length }, 'document unloaded with credited words not stored');
        waiting.delete(documentName);
      },
    },
  };
}
