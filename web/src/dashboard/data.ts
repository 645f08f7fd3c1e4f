import type { StoryloomApi } from '@storyloom/client';
import { day, isNotFound, TIME_ZONE } from '../lib/days.js';

/** Response shapes of the REST endpoints the dashboard reads (only the fields it uses). */
export interface WriterReport {
  userId: string;
  days: { day: string; wordsNet: number; wordsAdded: number; activeSeconds: number }[];
  sessions: number;
  writingMs: number;
  composedWords: number;
  wordsPerHour: number | null;
  currentStreak: number;
}
export interface SessionView {
  id: string;
  userId: string;
  state: string;
  startedAt: string | null;
  endedAt: string | null;
  lastInputAt: string | null;
  wpm: number;
  totals: { netWords: number };
}
export interface Contribution {
  chars: number;
  share: number;
  words: { added: number; removed: number; net: number };
  activeMinutes: number;
}
export interface ConflictWarning {
  severity: 'high' | 'medium';
  users: string[];
  blocks: number[];
  since: string;
}
export interface DocumentMetrics {
  activeWriters: number;
  presentWriters: number;
  conflictsPredicted: number;
  actualCollisions: number;
  openConflicts: number;
  efficiency: number | null;
}

export interface DashboardData {
  days: string[];
  writers: WriterReport[];
  sessions: SessionView[];
  contributions: Record<string, Contribution>;
  present: number;
  conflicts: ConflictWarning[];
  metrics: DocumentMetrics | null;
}

export const REPORT_DAYS = 14;

/** `null` for "nobody has opened the document on this instance yet" (404), which is not an error here. */
async function orNull<T>(promise: Promise<T>): Promise<T | null> {
  try {
    return await promise;
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/** Everything on the dashboard, in parallel (owner token: the report covers every writer). */
export async function loadDashboard(api: StoryloomApi, projectId: string, documentId: string): Promise<DashboardData> {
  const from = day(-(REPORT_DAYS - 1));
  const to = day(0);
  const doc = `${projectId}/${documentId}`;
  const [report, active, collaborators, conflicts, metrics] = await Promise.all([
    api.projectWritingReport(projectId, { from, to, tz: TIME_ZONE }),
    api.activeWritingSessions({ projectId }),
    orNull(api.collaborators(doc)),
    orNull(api.conflicts(doc)),
    orNull(api.collaborationMetrics(projectId, documentId)),
  ]);
  const days = Array.from({ length: REPORT_DAYS }, (_, i) => day(i - (REPORT_DAYS - 1)));
  return {
    days,
    writers: report.writers,
    sessions: active.sessions,
    contributions: collaborators?.contributions ?? {},
    present: new Set(collaborators?.collaborators.map((c) => c.userId) ?? []).size,
    conflicts: conflicts?.conflicts ?? [],
    metrics,
  };
}
