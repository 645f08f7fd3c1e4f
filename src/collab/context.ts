import type { Identity, Role } from '../lib/identity.js';

/** A handle on one client WebSocket, so the server can end a whole socket (e.g. revoked access). */
export interface SocketHandle {
  readonly id: string;
  close(code: number, reason: string): void;
}

/**
 * Hocuspocus `context` for one document connection. `socket` is set at upgrade time (default
 * context); the rest is filled by the auth extension.
 */
export interface CollabContext {
  socket?: SocketHandle;
  user?: Identity;
  role?: Role;
  projectId?: string;
  documentId?: string;
  /** Set on the direct connections of server-side edits (collab/live-documents.ts): who and why. */
  liveEdit?: { userId: string; reason: string };
}

/**
 * The shape Hocuspocus reads from a thrown value: `reason` is sent to the provider on refusal
 * (authenticationFailed), `code`+`reason` close a document connection. It has no `message` on
 * purpose: Hocuspocus console.errors any hook error with one, and we log refusals ourselves.
 */
export interface HocuspocusRefusal {
  code: number;
  reason: string;
}
