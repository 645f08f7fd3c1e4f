/**
 * What the presence service needs from the outside, declared here (the service owns its ports)
 * and implemented by adapters that src/server.ts wires: the gateway pushes, Hocuspocus
 * broadcasts, db.documentClients stores client ids, collab parses document names.
 */
import type { StoryloomEvent } from '../../events/schema.js';
import type { StatelessMessage } from '../../protocol/collaboration.js';

/** One sighting of a Yjs client id writing for a user in a document. */
export interface ClientSighting {
  documentName: string;
  clientId: number;
  userId: string;
  seenAt: number;
}

/** Where the Yjs client id -> user map is kept across reloads (db.documentClients implements it). */
export interface ClientMapStore {
  record(sightings: readonly ClientSighting[]): Promise<void>;
  load(documentName: string): Promise<Map<number, string>>;
}

/** A push to the /ws/presence channel gateway (the gateway's `publish` implements it). */
export interface PresencePush {
  path: 'presence';
  channel: string;
  data: unknown;
}

/** `<projectId>/<documentId>` split, or null for a name that is not one (collab's parseDocumentName implements it). */
export type DocumentNameParser = (documentName: string) => { projectId: string; documentId: string } | null;

/** Everything the presence service sends or stores, as functions an adapter provides. */
export interface PresencePorts {
  publish(event: StoryloomEvent): Promise<void>;
  push(message: PresencePush): Promise<void>;
  /** Sends a stateless message to every connection of the document on this instance (and, with Redis, the others). */
  broadcast(documentName: string, message: StatelessMessage): void;
  /** User id -> the pseudonymous actor of events. */
  actorOf(userId: string): string;
  parseDocumentName: DocumentNameParser;
  /** Persists client ids on first sight and loads them with the document; memory only without. */
  clients?: ClientMapStore;
}
