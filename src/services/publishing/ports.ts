import type { StoryloomEvent } from '../../events/schema.js';

/** What the publishing service needs besides the live documents (wired in server.ts). */
export interface PublishingPorts {
  /** Publishes on the event bus (publishing.export_completed). */
  publish(event: StoryloomEvent): Promise<void>;
  /** The pseudonymous actor of a user id, as events carry it. */
  actorOf(userId: string): string;
}
