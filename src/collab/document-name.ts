import { AppError } from '../lib/errors.js';

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface DocumentName {
  projectId: string;
  documentId: string;
  /** `<projectId>/<documentId>`, the Hocuspocus document name and storage key. */
  full: string;
}

/** Parses `<projectId>/<documentId>` (fixed contract) or throws AppError('invalid-document-name'). */
export function parseDocumentName(name: string): DocumentName {
  const slash = name.indexOf('/');
  const projectId = slash === -1 ? '' : name.slice(0, slash);
  const documentId = slash === -1 ? '' : name.slice(slash + 1);
  if (!ID.test(projectId) || !ID.test(documentId)) {
    throw new AppError(
      'invalid-document-name',
      'Document names are <projectId>/<documentId>, each 1-64 characters of A-Z a-z 0-9 _ -',
      { name: name.slice(0, 200) },
    );
  }
  return { projectId, documentId, full: name };
}
