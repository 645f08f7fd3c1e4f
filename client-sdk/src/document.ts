/**
 * One collaborative document on the client's shared Hocuspocus socket: its Y.Doc and provider,
 * presence fields the server's conflict prediction reads (caret, edit mode, viewport, typing
 * velocity), the server's conflict warnings and the present writers.
 */
import { HocuspocusProvider, type HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import * as Y from 'yjs';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './backoff.js';
import { systemTimers, type TimerHandle, type Timers } from './clock.js';
import { StoryloomError, asStoryloomError, errorFromClose, isRetryable } from './errors.js';
import type { DocumentName } from './names.js';
import {
  parseConflictMessage,
  parsePresence,
  toRelativePositionJSON,
  type ConflictWarning,
  type CursorPoint,
  type EditMode,
  type PresenceUser,
  type PresentWriter,
} from './presence.js';
import type { TokenSource } from './token.js';
import type { DocumentVersions } from './versions.js';

/** The awareness instance of a provider (y-protocols' Awareness). */
export type Awareness = NonNullable<HocuspocusProvider['awareness']>;

/**
 * A handle on a live document. Every `client.document(name)` call for the same name returns a
 * new handle on the SAME Y.Doc and provider (reference-counted): each handle's `destroy()`
 * removes the listeners registered through it, and the last one closes the document.
 */
export interface StoryloomDocument {
  /** `<projectId>/<documentId>` */
  readonly name: string;
  readonly projectId: string;
  readonly documentId: string;
  readonly ydoc: Y.Doc;
  readonly provider: HocuspocusProvider;
  readonly awareness: Awareness;
  /**
   * Resolves after the first sync with the server; rejects with a StoryloomError when the
   * server refuses the document (`unauthorized` after one token refresh, `forbidden`, ...).
   */
  readonly synced: Promise<void>;
  /** This client's identity from the token, as the server stamps it into awareness. */
  readonly self: Promise<PresenceUser>;
  /** Saved versions of this document: list, create, view, compare, restore (REST). */
  readonly versions: DocumentVersions;
  /**
   * Puts this client's caret into awareness as `cursor: {anchor, head}` (Yjs relative positions,
   * as TipTap's caret plugin does; with that plugin active the editor sets it on every selection
   * change and this call is only needed without an editor). Each end is a Yjs relative position
   * (object or JSON) or `{block, offset?}`: a top-level block index of the `default` fragment and
   * a character offset into its text. `head` defaults to `anchor`; `null` removes the caret.
   */
  setCursor(anchor: CursorPoint | null, head?: CursorPoint): void;
  /** `typing` and `selecting` count as activity for conflict prediction; `idle` does not. */
  setEditMode(mode: EditMode): void;
  /** Top-level blocks visible in the editor, inclusive. */
  setViewport(fromBlock: number, toBlock: number): void;
  /** Characters per second; a positive value counts as activity. */
  setTypingVelocity(charsPerSecond: number): void;
  /** Present writers now (see {@link onPresence}). */
  presence(): PresentWriter[];
  /** Called with the present writers now and on every awareness change; returns an unsubscribe. */
  onPresence(listener: (writers: PresentWriter[]) => void): () => void;
  /** Conflict warnings now open for this document (predicted and not yet cleared). */
  conflicts(): ConflictWarning[];
  /** Called for every conflict warning the server sends (`predicted` and `cleared`). */
  onConflict(listener: (warning: ConflictWarning) => void): () => void;
  /** Releases this handle; the last handle of a document closes it. Idempotent. */
  destroy(): void;
}

export interface SharedDocumentDeps {
  name: DocumentName;
  socket: HocuspocusProviderWebsocket;
  tokens: TokenSource;
  self(): PresenceUser | null;
  /** Resolves once the token (and so the identity) is known. */
  whenSelf: Promise<PresenceUser>;
  onError(error: StoryloomError): void;
  /** The last handle was released and the document closed. */
  onClosed(): void;
  versions: DocumentVersions;
  /** Timers of the retry after a `service-unavailable` refusal (tests pass manual ones). */
  timers?: Timers;
  /** Backoff of that retry. Default 0.5 s doubling to 30 s, jittered. */
  retryBackoff?: BackoffOptions;
  /** Told on every completed sync (the client resets its storage-unavailable reconnect backoff). */
  onSynced?(): void;
}

/** The live document behind the handles (one per name per client). */
export interface SharedDocument {
  acquire(): StoryloomDocument;
  /** Re-sends the token after a scheduled refresh (Hocuspocus `onTokenSync` on the server). */
  resendToken(): void;
  close(): void;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new StoryloomError('validation-failed', message);
}

export function createSharedDocument(deps: SharedDocumentDeps): SharedDocument {
  const { name, tokens } = deps;
  const ydoc = new Y.Doc();
  let handles = 0;
  let closed = false;
  let retried = false;
  let lastTokenError: unknown = null;
  const timers = deps.timers ?? systemTimers;
  /** `service-unavailable` refusals in a row; reset by a sync. */
  let unavailable = 0;
  let retryTimer: TimerHandle | undefined;
  const presenceListeners = new Set<(writers: PresentWriter[]) => void>();
  const conflictListeners = new Set<(warning: ConflictWarning) => void>();
  const open = new Map<string, ConflictWarning>();

  let resolveSynced!: () => void;
  let rejectSynced!: (error: StoryloomError) => void;
  const synced = new Promise<void>((resolve, reject) => {
    resolveSynced = resolve;
    rejectSynced = reject;
  });
  synced.catch(() => undefined); // also reported through onError: never an unhandled rejection

  const provider = new HocuspocusProvider({
    websocketProvider: deps.socket,
    name: name.name,
    document: ydoc,
    // A function, so every (re)connect sends a token that is valid at that moment.
    token: async () => {
      try {
        return await tokens.current();
      } catch (error) {
        lastTokenError = error;
        throw error;
      }
    },
  });
  const awareness = provider.awareness!;

  const withDocument = (error: StoryloomError) =>
    new StoryloomError(error.code, error.message, { ...error.details, document: name.name }, error.status, { cause: error });

  function fail(error: StoryloomError): void {
    const withDoc = withDocument(error);
    rejectSynced(withDoc);
    // Stop sending to a document the server refused; the handle stays readable offline.
    provider.detach();
    deps.onError(withDoc);
  }

  /**
   * The server could not serve the document right now (its storage is down, say: the load
   * failed): keep the handle and its unsent changes, report the first refusal of a streak, and
   * authenticate again with backoff. Closes of the socket itself (4503 `storage-unavailable`
   * after a change was not stored) need nothing here: the provider reconnects and re-sends.
   */
  function retryLater(error: StoryloomError): void {
    if (unavailable === 0) deps.onError(withDocument(error));
    const delay = backoffDelay(unavailable++, deps.retryBackoff ?? DEFAULT_BACKOFF);
    retryTimer = timers.setTimeout(() => {
      retryTimer = undefined;
      if (closed) return;
      provider.sendToken().then(
        () => provider.startSync(),
        (tokenError: unknown) => {
          if (!closed) fail(asStoryloomError(tokenError, 'unauthorized'));
        },
      );
    }, delay);
  }

  provider.on('synced', () => {
    unavailable = 0;
    deps.onSynced?.();
    resolveSynced();
  });
  provider.on('authenticated', () => {
    retried = false;
  });
  provider.on('authenticationFailed', ({ reason }: { reason: string }) => {
    if (closed) return;
    const tokenError = lastTokenError;
    lastTokenError = null;
    const error = tokenError !== null ? asStoryloomError(tokenError, 'unauthorized') : errorFromClose(undefined, reason, `The server refused ${name.name}: ${reason}`);
    if (isRetryable(error)) return retryLater(error);
    if (error.code !== 'unauthorized' || retried) return fail(error);
    // One more getToken, then authenticate again on the same socket.
    retried = true;
    tokens.refresh().then(
      async () => {
        if (closed) return;
        await provider.sendToken();
        provider.startSync();
      },
      (refreshError: unknown) => {
        if (!closed) fail(asStoryloomError(refreshError, 'unauthorized'));
      },
    );
  });
  provider.on('stateless', ({ payload }: { payload: string }) => {
    const warning = parseConflictMessage(payload);
    if (warning === null || (warning.document !== '' && warning.document !== name.name)) return;
    const key = warning.users.join('\u0000');
    if (warning.status === 'predicted') open.set(key, warning);
    else open.delete(key);
    for (const listener of [...conflictListeners]) listener(warning);
  });

  const presence = () => parsePresence(awareness.getStates(), ydoc.clientID, ydoc, deps.self());
  const onAwarenessChange = () => {
    if (presenceListeners.size === 0) return;
    const writers = presence();
    for (const listener of [...presenceListeners]) listener(writers);
  };
  awareness.on('change', onAwarenessChange);
  provider.attach();

  function close(): void {
    if (closed) return;
    closed = true;
    if (retryTimer !== undefined) timers.clearTimeout(retryTimer);
    awareness.off('change', onAwarenessChange);
    presenceListeners.clear();
    conflictListeners.clear();
    provider.destroy();
    ydoc.destroy();
    deps.onClosed();
  }

  function acquire(): StoryloomDocument {
    handles++;
    let released = false;
    const mine = new Set<() => void>();
    const live = () => {
      if (released || closed) throw new StoryloomError('validation-failed', `The handle of ${name.name} was destroyed`);
    };
    return {
      name: name.name,
      projectId: name.projectId,
      documentId: name.documentId,
      ydoc,
      provider,
      awareness,
      synced,
      self: deps.whenSelf,
      versions: deps.versions,
      setCursor(anchor, head) {
        live();
        if (anchor === null) return provider.setAwarenessField('cursor', null);
        const a = toRelativePositionJSON(ydoc, anchor);
        provider.setAwarenessField('cursor', { anchor: a, head: head === undefined ? a : toRelativePositionJSON(ydoc, head) });
      },
      setEditMode(mode) {
        live();
        check(mode === 'typing' || mode === 'selecting' || mode === 'idle', `editMode must be typing, selecting or idle (got ${String(mode)})`);
        provider.setAwarenessField('editMode', mode);
      },
      setViewport(fromBlock, toBlock) {
        live();
        const ok = Number.isInteger(fromBlock) && Number.isInteger(toBlock) && fromBlock >= 0 && fromBlock <= toBlock;
        check(ok, `The viewport must be two block indexes with 0 <= fromBlock <= toBlock (got ${fromBlock}, ${toBlock})`);
        provider.setAwarenessField('viewport', { fromBlock, toBlock });
      },
      setTypingVelocity(charsPerSecond) {
        live();
        check(Number.isFinite(charsPerSecond) && charsPerSecond >= 0, `typingVelocity must be a finite number >= 0 (got ${charsPerSecond})`);
        provider.setAwarenessField('typingVelocity', charsPerSecond);
      },
      presence,
      onPresence(listener) {
        live();
        presenceListeners.add(listener);
        const off = () => presenceListeners.delete(listener);
        mine.add(off);
        listener(presence());
        return () => {
          off();
          mine.delete(off);
        };
      },
      conflicts: () => [...open.values()],
      onConflict(listener) {
        live();
        conflictListeners.add(listener);
        const off = () => conflictListeners.delete(listener);
        mine.add(off);
        return () => {
          off();
          mine.delete(off);
        };
      },
      destroy() {
        if (released) return;
        released = true;
        for (const off of mine) off();
        mine.clear();
        if (--handles === 0) close();
      },
    };
  }

  return {
    acquire,
    resendToken() {
      if (!closed && provider.isAuthenticated) void provider.sendToken();
    },
    close,
  };
}
