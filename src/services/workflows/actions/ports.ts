/**
 * What the workflow actions need from the rest of the server, declared here (the services layer
 * owns its ports) and wired in server.ts. Each is the narrowest slice of an existing service, so
 * the real one fits as is: `versions` is VersionService, `publishing` is PublishingService,
 * `notify` is NotificationService.notify plus NotificationStore.owners.
 */
import type { StoryloomEvent } from '../../../events/schema.js';
import type { BookDocument } from '../../../manuscript/chapters.js';
import type { DocumentRef } from '../../documents/ports.js';
import type { PublishingService } from '../../publishing/publishing-service.js';
import type { GoalProgress } from '../../reports/writing-reports.js';
import type { NotifyInput } from '../../notifications/notification-service.js';
import type { VersionService } from '../../versions/version-service.js';
import type { ProjectWritingReport, WritingGoal } from '../../writing/ports.js';

/** Publishes on the event bus (event.emit). */
export type EventPublisher = (event: StoryloomEvent) => Promise<void>;

/** Versions of documents (document.version). */
export type VersionPort = Pick<VersionService, 'create'>;

/** Export of one document or a book (document.export). */
export type ExportPort = Pick<PublishingService, 'exportDocument' | 'exportBook'>;

/** The project's manuscript as the actions read it (document.validate, document.export of a book, project.words). */
export interface ManuscriptPort {
  /** The project's document ids in reading order. */
  documentIds(projectId: string): Promise<string[]>;
  /** One document's current text as manuscript JSON (`title` is the chapter title when it opens with no heading). */
  read(ref: DocumentRef): Promise<BookDocument>;
}

/** Named read operations of the `database` action (the writing store and reports). */
export interface WritingReadPort {
  projectWriting(query: { projectId: string; fromDay: string; toDay: string; timeZone: string; userId?: string }): Promise<ProjectWritingReport>;
  wordsBetween(userId: string, projectId: string, from: number, to: number): Promise<number>;
  listGoals(projectId: string): Promise<WritingGoal[]>;
  goalProgress(userId: string, projectId: string): Promise<GoalProgress>;
}

/** One notification to one user: NotificationService.notify's own input (no fingerprint override). */
export type NotifyRequest = Omit<NotifyInput, 'fingerprint'>;

/** The notification layer (notification, email, sms). */
export interface NotifySender {
  /** Resolves null when the dedupe key was seen before (a retried step notifies once). */
  notify(input: NotifyRequest): Promise<{ id: string } | null>;
  /** The user ids of the project's owners. */
  owners(projectId: string): Promise<string[]>;
  /** The user's role in the project as last seen, or null (such a user is not notified). */
  roleOf(projectId: string, userId: string): Promise<string | null>;
  /** User ids behind actor pseudonyms (events carry those); NotificationStore.usersByActor. Without it `actors` fails the step. */
  usersByActor?(actors: readonly string[]): Promise<string[]>;
}

/** One archived `publishing.sales_recorded` event, as the `sales.daily` operation counts it. */
export interface SaleRecord {
  eventId: string;
  /** ms since the epoch. */
  occurredAt: number;
  units: number;
}

/** Sales of a project from the audit archive (the `database` action's `sales.daily`); createArchiveSales. */
export interface SalesReadPort {
  /** Every `publishing.sales_recorded` of the project with occurredAt in [from, to). */
  salesBetween(projectId: string, from: number, to: number): Promise<SaleRecord[]>;
}
