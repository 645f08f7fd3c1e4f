import { AppError } from '../lib/errors.js';
import { isResourceId } from '../lib/ids.js';

export interface DocumentName {
  projectId: string;
  documentId: string;
  /** `<projectId>/<documentId>`, the Hocuspocus document name and storage key. */
  full: string;
}

/** Parses `<projectId>/<documentId>` (fixed contract), or null for anything else. */
export function documentNameOf(name: string): DocumentName | null {
  const slash = name.indexOf('/');
  if (slash === -1) return null;
  const projectId = name.slice(0, slash);
  const documentId = name.slice(slash + 1);
  return isResourceId(projectId) && isResourceId(documentId) ? { projectId, documentId, full: name } : null;
}

/**
 * Parses `<projectId>/<documentId>` or throws AppError('invalid-document-name'). Once a
 * connection is admitted its CollabContext carries both ids: read them there instead.
 */
export function parseDocumentName(name: string): DocumentName {
  const parsed = documentNameOf(name);
  if (parsed === null) {
    throw new AppError('invalid-document-name', 'Document names are <projectId>/<documentId>, each 1-64 characters of A-Z a-z 0-9 _ -', { name: name.slice(0, 200) });
  }
  return parsed;
}
