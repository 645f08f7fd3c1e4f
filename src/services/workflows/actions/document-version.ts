import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ActionHandler } from '../action-handlers.js';
import { asActionError } from './errors.js';
import type { VersionPort } from './ports.js';
import { resourceId } from './ids.js';

const input = z.strictObject({
  documentId: resourceId,
  /** A named version is kept forever; without a name it is automatic (thinned by the retention policy). */
  name: z.string().trim().min(1).max(200).optional(),
});

const output = z.strictObject({
  versionId: z.string(),
  documentId: z.string(),
  name: z.string().nullable(),
  kind: z.string(),
  words: z.number(),
  wordsChanged: z.number(),
  createdAt: z.number(),
});

/**
 * The version id of one step of one run (and document), the same on every attempt and after a crash re-run
 * (a loop's iterations have their own step ids): a UUID (version 8, name-based on SHA-256) so
 * the versions API accepts it. The version service returns the version already stored under it,
 * so a retry that follows a create whose checkpoint was lost stores no second version.
 */
export function stepVersionId(runId: string, stepId: string, documentId: string): string {
  const hex = createHash('sha256').update(`document.version\0${runId}\0${stepId}\0${documentId}`).digest('hex').slice(0, 32).split('');
  hex[12] = '8';
  hex[16] = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** `document.version`: stores a version of one of the run's project documents (created by `workflow:<id>`). */
export function createDocumentVersionAction(deps: { versions: VersionPort }): ActionHandler {
  return {
    spec: {
      name: 'document.version',
      description: 'Stores a version of a document of the project: named (kept) when a name is given, else automatic (thinned by retention). Idempotent per run and step: a retry stores no second version.',
      input,
      output,
    },
    async run(raw, ctx) {
      const args = input.parse(raw);
      try {
        const meta = await deps.versions.create({
          ref: { projectId: ctx.projectId, documentId: args.documentId },
          name: args.name ?? null,
          kind: args.name ? 'named' : 'auto',
          createdBy: `workflow:${ctx.workflowId}`,
          id: stepVersionId(ctx.runId, ctx.stepId, args.documentId),
        });
        return { versionId: meta.id, documentId: meta.documentId, name: meta.name, kind: meta.kind, words: meta.words, wordsChanged: meta.wordsChanged, createdAt: meta.createdAt };
      } catch (error) {
        throw asActionError('document.version', error);
      }
    },
  };
}
