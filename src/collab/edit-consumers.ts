import type { TrackedEdit } from '../services/writing/service-types.js';
import type { DocumentEditConsumer } from '../tracking/document-edit.js';

/**
 * The writing service as a document-tap consumer: words of a connection's user, through the
 * service's public `recordEdit` facade. Edits from other instances (`redis`) are counted there,
 * server-side changes have no writer, and transactions that touched no counted text are not
 * writing.
 */
export function writingConsumer(writing: { recordEdit(edit: TrackedEdit): void }): DocumentEditConsumer {
  return (edit) => {
    if (edit.origin !== 'connection' || edit.userId === null || edit.words === null) return;
    writing.recordEdit({ userId: edit.userId, projectId: edit.projectId, documentId: edit.documentId, at: edit.at, words: edit.words, documentWords: edit.documentWords, ...(edit.wordsJournaled === true || edit.credits !== undefined ? { journaled: true } : {}) });
  };
}
