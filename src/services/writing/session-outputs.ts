/**
 * Pure pieces of turning one model transition into outputs (writing time, live pushes, coalesced
 * words, document milestones), kept apart from WriterSession so the session file holds only its
 * state and the order of its steps.
 */
import type { EditInput, Transition, WritingSession } from '../../tracking/writing/session-model.js';
import { WRITING_TIME_STATES } from '../../tracking/writing/session-types.js';
import type { PendingWords } from './effect-events.js';
import type { SessionView } from './session-view.js';

/** An edit as a writer session takes it, from the Yjs tracker or from REST keystrokes. */
export interface RunnerEdit extends EditInput {
  /** Words in the document after the edit, when known (session_started's wordCount). */
  readonly documentWords?: number;
  /** Its words are credited from the word journal (TrackedEdit.journaled): not added to the buckets. */
  readonly journaled?: boolean;
}

const isWriting = (state: string) => (WRITING_TIME_STATES as readonly string[]).includes(state);

/** Writing-state intervals a transition covered (writing time accrues only in them). */
export function writingSegments(before: WritingSession, t: Transition): [number, number][] {
  const out: [number, number][] = [];
  let state: string = before.state;
  let from = before.clock;
  for (const e of t.effects) {
    if (e.type !== 'session_state_changed') continue;
    if (isWriting(state) && from !== null && e.at > from) out.push([from, e.at]);
    state = e.to;
    from = from === null ? e.at : Math.max(from, e.at);
  }
  const end = t.state.clock;
  if (isWriting(state) && from !== null && end !== null && end > from) out.push([from, end]);
  return out;
}

/** The live metrics push of a session (to `user:` and `project:` on /ws/analytics). */
export function metricsMessage(v: SessionView, now: number): Record<string, unknown> {
  return {
    kind: 'writing.metrics',
    sessionId: v.id,
    userId: v.userId,
    projectId: v.projectId,
    state: v.state,
    wpm: v.wpm,
    wordsPerHour: v.wordsPerHour,
    totals: v.totals,
    documents: v.documents,
    at: new Date(now).toISOString(),
  };
}

/** `words` plus one edit (a new pending batch when there is none). */
export function withEdit(words: PendingWords | null, edit: RunnerEdit, at: number, paste: boolean): PendingWords {
  const w = words ?? { documentId: edit.documentId, added: 0, removed: 0, net: 0, paste: false, firstAt: at, lastAt: at };
  return { ...w, added: w.added + edit.wordsAdded, removed: w.removed + edit.wordsRemoved, net: w.net + edit.netWords, paste: w.paste || paste, lastAt: at };
}

/** A milestone an edit reached: the multiple of the step, and the count that passed it. */
export interface Milestone {
  reached: number;
  value: number;
}

/** Documents whose milestone mark is remembered before the map starts over. */
export const MAX_DOCUMENT_MARKS = 10_000;

/**
 * Highest milestone announced per document (`<projectId>/<documentId>`), shared by all its
 * writers: a milestone marks the document's own word count passing a multiple of `step`,
 * whoever wrote the words (the auto-save template saves a version then). Starts at the count the
 * document had when this instance first saw it, so reopening a long novel announces nothing.
 */
export class DocumentMilestones {
  /**
   * One entry per document ever written here, and nothing unloads them: without a bound the map
   * grows for the life of the process (found looking for the load test's leak). Past `limit` it
   * starts over; a forgotten mark is rebuilt from the document's count before the next edit, so
   * no milestone is missed or announced twice because of it.
   */
  private readonly marks = new Map<string, number>();

  constructor(
    readonly step: number,
    readonly limit = MAX_DOCUMENT_MARKS,
  ) {}

  /** Documents with a remembered mark (bounded by `limit`). */
  get size(): number {
    return this.marks.size;
  }

  /**
   * The milestone `edit` reaches, if any. From the document's word count when the editor is on
   * Yjs; otherwise (keystroke API, no CRDT document) from the writer's own net words in the
   * document this session, against `announced` (the session's own marks, updated here).
   */
  reached(projectId: string, edit: RunnerEdit, sessionNet: number, announced: Record<string, number>): Milestone | null {
    const step = this.step;
    if (edit.documentWords === undefined) {
      const reached = Math.floor(sessionNet / step) * step;
      if (reached <= (announced[edit.documentId] ?? 0)) return null;
      announced[edit.documentId] = reached;
      return { reached, value: sessionNet };
    }
    const key = `${projectId}/${edit.documentId}`;
    const mark = this.marks.get(key) ?? Math.floor(Math.max(0, edit.documentWords - edit.netWords) / step) * step;
    const reached = Math.floor(edit.documentWords / step) * step;
    if (!this.marks.has(key) && this.marks.size >= this.limit) this.marks.clear();
    this.marks.set(key, Math.max(mark, reached));
    return reached > mark ? { reached, value: edit.documentWords } : null;
  }
}
