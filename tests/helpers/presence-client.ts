import * as Y from 'yjs';
import { conflictMessageSchema, type ConflictMessage } from '../../src/protocol/index.js';
import type { TestClient } from './test-server.js';

/** Puts a TipTap-style caret (`cursor: {anchor, head}` as relative JSON) into a paragraph. */
export function setCursor(client: TestClient, paragraph: number, offset = 0): void {
  const text = (client.ydoc.getXmlFragment('default').get(paragraph) as Y.XmlElement).get(0) as Y.XmlText;
  const pos = Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(text, Math.min(offset, text.length)));
  client.provider.setAwarenessField('cursor', { anchor: pos, head: pos });
}

/** A conflict warning as a client received it, and when (performance.now()). */
export type ReceivedConflict = ConflictMessage & { receivedAt: number };

/**
 * Every conflict stateless message a client receives, each checked to be exactly the protocol's
 * message (src/protocol), nothing more or less.
 */
export function watchConflicts(client: TestClient): ReceivedConflict[] {
  const seen: ReceivedConflict[] = [];
  client.provider.on('stateless', ({ payload }: { payload: string }) => {
    const message = JSON.parse(payload) as { type?: string };
    if (message.type === 'storyloom.conflict') seen.push({ ...conflictMessageSchema.strict().parse(message), receivedAt: performance.now() });
  });
  return seen;
}
