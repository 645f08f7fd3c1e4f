import type { StoryloomDocument } from '@storyloom/client';

export type ConnectionState = 'connecting' | 'connected' | 'offline';

const TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  connected: 'Connected · changes are saved',
  offline: 'Can’t reach the server — retrying…',
};

/** The status line; `data-state` is for styling and tests. */
export function setConnectionStatus(el: HTMLElement, state: ConnectionState): void {
  el.dataset.state = state;
  el.textContent = TEXT[state];
}

/**
 * Follows the provider: offline from the first failed or dropped connection until it is
 * connected again (the provider keeps retrying with backoff; typing meanwhile stays in the local
 * Y.Doc and is sent on reconnect).
 */
export function watchConnection(el: HTMLElement, doc: StoryloomDocument): void {
  let everConnected = false;
  doc.provider.on('status', ({ status }: { status: string }) => {
    if (status === 'connected') {
      everConnected = true;
      setConnectionStatus(el, 'connected');
    } else if (status === 'disconnected' || everConnected) {
      setConnectionStatus(el, 'offline');
    }
  });
}
