/**
 * Names the server's contract fixes: document names, gateway channels and the URLs derived from
 * the server's base URL. Validated here so a typo fails at the call site with a clear message
 * instead of as a refused connection later.
 */
import { StoryloomError } from './errors.js';

/** Project and document ids: 1-64 characters of A-Z a-z 0-9 _ - (same as the server). */
export const RESOURCE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export interface DocumentName {
  projectId: string;
  documentId: string;
  /** `<projectId>/<documentId>` */
  name: string;
}

/** Parses `<projectId>/<documentId>` or throws StoryloomError('invalid-document-name'). */
export function parseDocumentName(name: string): DocumentName {
  const text = typeof name === 'string' ? name : '';
  const slash = text.indexOf('/');
  const projectId = slash < 0 ? '' : text.slice(0, slash);
  const documentId = slash < 0 ? '' : text.slice(slash + 1);
  if (!RESOURCE_ID_PATTERN.test(projectId) || !RESOURCE_ID_PATTERN.test(documentId)) {
    throw new StoryloomError(
      'invalid-document-name',
      `Document names are <projectId>/<documentId>, each 1-64 characters of A-Z a-z 0-9 _ - (got ${JSON.stringify(String(name).slice(0, 200))})`,
      { name: String(name).slice(0, 200) },
    );
  }
  return { projectId, documentId, name: text };
}

/** Throws StoryloomError('validation-failed') unless `id` is a valid project id. */
export function checkProjectId(id: string): string {
  if (typeof id !== 'string' || !RESOURCE_ID_PATTERN.test(id)) {
    throw new StoryloomError('validation-failed', `Project ids are 1-64 characters of A-Z a-z 0-9 _ - (got ${JSON.stringify(String(id).slice(0, 100))})`, { projectId: String(id).slice(0, 100) });
  }
  return id;
}

/** The three channel gateway endpoints (fixed paths on the server). */
export type GatewayPath = 'analytics' | 'notifications' | 'presence';

export interface ServerUrls {
  /** http(s) origin plus any base path, without a trailing slash: REST calls go to `${http}/api/...`. */
  http: string;
  /** ws(s) URL of the Hocuspocus endpoint. */
  collaboration: string;
  /** ws(s) URL of a gateway endpoint. */
  gateway(path: GatewayPath): string;
}

/**
 * Derives every endpoint from the server's http(s) base URL (`http://localhost:8080`, or
 * `https://example.com/storyloom` behind a proxy that strips the prefix). A ws(s) URL is accepted
 * too, for callers who only know the collaboration address.
 */
export function serverUrls(base: string, collaborationPath = '/collaboration'): ServerUrls {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new StoryloomError('validation-failed', `url must be an absolute http(s) URL (got ${JSON.stringify(base)})`);
  }
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw new StoryloomError('validation-failed', `url must be an http(s) URL (got ${url.protocol})`);
  }
  let path = url.pathname.replace(/\/+$/, '');
  if (url.protocol.startsWith('ws')) path = path.replace(/(\/ws)?\/collaboration$/, '');
  const http = `${secure ? 'https' : 'http'}://${url.host}${path}`;
  const ws = `${secure ? 'wss' : 'ws'}://${url.host}${path}`;
  return { http, collaboration: `${ws}${collaborationPath}`, gateway: (p) => `${ws}/ws/${p}` };
}
