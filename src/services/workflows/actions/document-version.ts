import { z } from 'zod';
import type { ActionHandler } from '../action-handlers.js';
import { asActionError } from './errors.js';
import type { VersionPort } from './ports.js';

const input = z.strictObject({
  documentId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected 1-64 characters of A-Z a-z 0-9 _ -'),
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

/** `document.version`: stores a version of one of the run's project documents (created by `workflow:<id>`). */
export function createDocumentVersionAction(deps: { versions: VersionPort }): ActionHandler {
  return {
    spec: {
      name: 'document.version',
      description: 'Stores a version of a document of the project: named (kept) when a name is given, else automatic (thinned by retention).',
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
        });
        return { versionId: meta.id, documentId: meta.documentId, name: meta.name, kind: meta.kind, words: meta.words, wordsChanged: meta.wordsChanged, createdAt: meta.createdAt };
      } catch (error) {
        throw asActionError('document.version', error);
      }
    },
  };
}
