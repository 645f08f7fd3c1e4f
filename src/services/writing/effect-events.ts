/**
 * Session-model effects become contract events (events/schema) in one place, so every event the
 * writing service publishes has the same actor, project and document fields and rounding.
 */
import { createEvent, type StoryloomEvent } from '../../events/schema.js';
import type { SessionEffect } from '../../tracking/writing/session-model.js';

/** Where an event happened and who did it (the actor is already the HMAC pseudonym). */
export interface EventContext {
  actor: string;
  projectId: string;
  documentId: string | null;
  /** Extra fields of writing.session_started, known only to the caller. */
  startedWith?: { wordCount?: number; goalWords?: number };
}

const int = (n: number): number => Math.max(0, Math.round(n));
const pace = (n: number): number => Math.max(0, Math.round(n * 100) / 100);

/**
 * The event of one session-model effect, or null for effects that are not events
 * (break_suggested is an insight pushed to the writer only: there is no event type for it).
 * Throws what createEvent throws for an invalid event (a bug; the caller logs it).
 */
export function eventOfEffect(effect: SessionEffect, ctx: EventContext): StoryloomEvent | null {
  const base = {
    actor: ctx.actor,
    projectId: ctx.projectId,
    ...(ctx.documentId === null ? {} : { documentId: ctx.documentId }),
    occurredAt: effect.at,
  };
  const sessionId = effect.sessionId;
  switch (effect.type) {
    case 'session_started': {
      const extra = ctx.startedWith ?? {};
      return createEvent('writing.session_started', {
        ...base,
        payload: {
          sessionId,
          ...(extra.wordCount === undefined ? {} : { wordCount: int(extra.wordCount) }),
          ...(extra.goalWords === undefined ? {} : { goalWords: int(extra.goalWords) }),
        },
      });
    }
    case 'session_state_changed':
      return createEvent('writing.session_state_changed', { ...base, payload: { sessionId, from: effect.from, to: effect.to } });
    case 'flow_entered':
      return createEvent('writing.flow_entered', { ...base, payload: { sessionId, wpm: pace(effect.wpm) } });
    case 'flow_exited':
      return createEvent('writing.flow_exited', {
        ...base,
        payload: { sessionId, durationMs: int(effect.flowMs), reason: effect.reason },
      });
    case 'session_ended': {
      const s = effect.summary;
      const minutes = s.writingMs / 60_000;
      return createEvent('writing.session_ended', {
        ...base,
        payload: {
          sessionId,
          durationMs: int(s.lengthMs),
          activeMs: int(s.writingMs),
          wordsAdded: int(s.totals.wordsAdded),
          wordsRemoved: int(s.totals.wordsRemoved),
          netWords: Math.round(s.totals.netWords),
          ...(minutes >= 1 ? { averageWpm: pace(s.totals.composedWords / minutes) } : {}),
          reason: effect.reason,
        },
      });
    }
    case 'break_suggested':
      return null;
  }
}

/** Words written since the last words_written of a session (coalesced to at most one per second). */
export interface PendingWords {
  documentId: string;
  added: number;
  removed: number;
  net: number;
  paste: boolean;
  firstAt: number;
  lastAt: number;
}

export function wordsWrittenEvent(sessionId: string, words: PendingWords, wpm: number, actor: string, projectId: string): StoryloomEvent {
  return createEvent('writing.words_written', {
    actor,
    projectId,
    documentId: words.documentId,
    occurredAt: words.lastAt,
    payload: {
      sessionId,
      added: int(words.added),
      removed: int(words.removed),
      net: Math.round(words.net),
      wpm: pace(wpm),
      ...(words.paste ? { paste: true } : {}),
      windowMs: int(words.lastAt - words.firstAt),
    },
  });
}

export function milestoneEvent(
  sessionId: string,
  documentId: string,
  threshold: number,
  value: number,
  at: number,
  actor: string,
  projectId: string,
): StoryloomEvent {
  return createEvent('writing.milestone_reached', {
    actor,
    projectId,
    documentId,
    occurredAt: at,
    payload: { kind: 'document_words', threshold, value: Math.max(0, value), sessionId },
  });
}
