import type * as Y from 'yjs';

/** A document of a project, as the REST paths name it. */
export interface DocumentRef {
  projectId: string;
  documentId: string;
}

/** Who makes a server-side edit and why (kept with the edit in the update log). */
export interface LiveEditActor {
  /** A user id, or a system actor such as `workflow:<id>`. */
  userId: string;
  /** A short machine-readable reason, e.g. `restore:<versionId>` or `import`. */
  reason: string;
}

/**
 * The live (collaborative) documents, for services that change a document from the server side:
 * a version restore, an import, a workflow action. An edit made through it is an ordinary Yjs
 * edit: every connected writer receives it at once, it is logged and stored like theirs, and
 * nothing of the document's history is rewritten.
 */
export interface LiveDocuments {
  /**
   * Runs `fn` in ONE Yjs transaction on the live document (loaded if nobody has it open), so the
   * whole change is one update, persisted and broadcast like any edit. Resolves once the update
   * is in the update log. Yjs cannot roll a transaction back: compute and validate everything
   * before touching the document, and throw (if at all) before the first change.
   */
  transact(ref: DocumentRef, actor: LiveEditActor, fn: (doc: Y.Doc) => void): Promise<void>;
  /** A read-only copy of the current state (changing it changes nothing live). */
  snapshot(ref: DocumentRef): Promise<Y.Doc>;
  /**
   * Runs `fn` on the current state without copying it when the document is open here (else on a
   * copy read from storage) and returns its result. `fn` must only read, synchronously: it may
   * get the live document itself. For large documents this saves the copy `snapshot` makes.
   */
  read<T>(ref: DocumentRef, fn: (doc: Y.Doc) => T): Promise<T>;
}

/** The name of the XML fragment TipTap's Collaboration extension edits (client-sdk/src/tiptap.ts). */
export const EDITOR_FRAGMENT = 'default';
