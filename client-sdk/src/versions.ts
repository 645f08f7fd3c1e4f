/**
 * `doc.versions`: saved versions of one document over the REST API (server docs/versions.md).
 * Saving and restoring need an owner or editor role in the project; any role may list and view.
 */
import type * as T from './api-types.js';
import type { StoryloomApi } from './rest.js';

export interface DocumentVersions {
  /** Newest first; pass the previous page's `nextCursor` for the next page. */
  list(query?: T.VersionListQuery): Promise<T.VersionPage>;
  /** Saves a named version of the document as it is now (kept forever). */
  create(name?: string): Promise<T.DocumentVersion>;
  /** A version with its content as ProseMirror JSON and HTML (read-only). */
  get(versionId: string): Promise<T.DocumentVersionContent>;
  /** Paragraph-level changes from the version to the current text. */
  diff(versionId: string): Promise<T.DocumentVersionDiff>;
  /**
   * Makes the text the version's, as one new edit every connected writer receives (this client's
   * Y.Doc too). `newVersionId` is the text just before: restore it to undo.
   */
  restore(versionId: string): Promise<T.VersionRestored>;
}

export function documentVersions(api: StoryloomApi, projectId: string, documentId: string): DocumentVersions {
  return {
    list: (query = {}) => api.listVersions(projectId, documentId, query),
    create: (name) => api.createVersion(projectId, documentId, name === undefined ? {} : { name }),
    get: (versionId) => api.getVersion(projectId, documentId, versionId),
    diff: (versionId) => api.versionDiff(projectId, documentId, versionId),
    restore: (versionId) => api.restoreVersion(projectId, documentId, versionId),
  };
}
