/**
 * Read models of one document's presence for the REST endpoints. Pure over a DocumentPresence.
 */
import { collisionEpisodes, survivingShare, teamMetrics, type SurvivingShare, type TeamMetrics } from '../../tracking/collab/contributions.js';
import { presenceView } from '../../tracking/collab/presence-model.js';
import type { EditMode, PresenceOptions, Severity } from '../../tracking/collab/presence-types.js';
import type { DocumentPresence } from './document-presence.js';

export interface CollaboratorView {
  userId: string;
  clientId: number;
  canEdit: boolean;
  /** Block of the caret's head; null without a valid caret. */
  block: number | null;
  anchorBlock: number | null;
  idleMs: number;
  editMode: EditMode | null;
  /** 'yjs' for Hocuspocus connections, 'rest' for clients feeding block indexes over REST. */
  via: 'yjs' | 'rest';
}

export interface CollaboratorsView {
  collaborators: CollaboratorView[];
  /** Surviving-text share per user id ('unknown' for text from before tracking); empty without a live Y.Doc. */
  contributions: Record<string, SurvivingShare>;
}

/** Words of one writer in the document (from the writing store; all time, all instances). */
export interface WriterContribution {
  userId: string;
  wordsAdded: number;
  wordsRemoved: number;
  wordsNet: number;
  activeMinutes: number;
}

/** A collaborator's surviving share plus their stored words and active minutes. */
export interface ContributionView extends SurvivingShare {
  words: { added: number; removed: number; net: number };
  activeMinutes: number;
}

/**
 * Joins the surviving share with stored words per writer: every user of either side appears
 * (a writer who left still has words; 'unknown' surviving text has none), the missing side as 0.
 */
export function withWriterContributions(
  shares: Record<string, SurvivingShare>,
  writers: readonly WriterContribution[],
): Record<string, ContributionView> {
  const out: Record<string, ContributionView> = {};
  const empty = (): ContributionView => ({ chars: 0, share: 0, words: { added: 0, removed: 0, net: 0 }, activeMinutes: 0 });
  for (const [userId, s] of Object.entries(shares)) out[userId] = { ...empty(), chars: s.chars, share: s.share };
  for (const w of writers) {
    const entry = out[w.userId] ?? empty();
    entry.words = { added: w.wordsAdded, removed: w.wordsRemoved, net: w.wordsNet };
    entry.activeMinutes = w.activeMinutes;
    out[w.userId] = entry;
  }
  return out;
}

export interface ConflictView {
  severity: Severity;
  users: string[];
  blocks: number[];
  /** When the warning was raised (ISO-8601). */
  since: string;
  lastSeenAt: string;
}

export interface DocumentMetricsView extends TeamMetrics {
  /** Users with a client present now that may edit. */
  presentWriters: number;
  /** Warnings live now. */
  openConflicts: number;
  /** The counters cover this instance since the document's presence state was created. */
  since: string;
}

export function collaboratorsOf(entry: DocumentPresence, now: number): CollaboratorsView {
  const collaborators = presenceView(entry.state, now).map((v) => {
    const e = entry.state.clients.get(v.clientId);
    return {
      userId: v.userId,
      clientId: v.clientId,
      canEdit: v.canEdit,
      block: v.block,
      anchorBlock: e?.blocks?.anchorBlock ?? null,
      idleMs: v.idleMs,
      editMode: e?.editMode ?? null,
      via: v.clientId < 0 ? ('rest' as const) : ('yjs' as const),
    };
  });
  let contributions: Record<string, SurvivingShare> = {};
  try {
    if (entry.doc !== null) contributions = survivingShare(entry.doc, entry.clientToUser);
  } catch {
    contributions = {}; // a half-destroyed doc during unload
  }
  return { collaborators, contributions };
}

export function conflictsOf(entry: DocumentPresence): ConflictView[] {
  return entry.warnings.map((w) => ({
    severity: w.severity,
    users: [...w.users],
    blocks: [...w.blocks],
    since: new Date(w.raisedAt).toISOString(),
    lastSeenAt: new Date(w.lastSeenAt).toISOString(),
  }));
}

export function metricsOf(entry: DocumentPresence, options: PresenceOptions): DocumentMetricsView {
  const episodes = collisionEpisodes(entry.collisions, options.collisionWindowMs);
  const writers = new Set([...entry.state.clients.values()].filter((e) => e.canEdit).map((e) => e.userId));
  return {
    ...teamMetrics([...entry.activity.values()], episodes, entry.conflictsPredicted),
    presentWriters: writers.size,
    openConflicts: entry.warnings.length,
    since: new Date(entry.createdAt).toISOString(),
  };
}
