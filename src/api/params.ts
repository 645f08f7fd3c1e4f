import { z } from '@hono/zod-openapi';
import { RESOURCE_ID_MESSAGE, RESOURCE_ID_PATTERN, RESOURCE_ID_SOURCE } from '../lib/ids.js';

/** Shared path and query schemas of the REST API: one definition per contract. */

/** Project, document and user-facing resource ids (src/lib/ids.ts). */
export const ResourceId = z.string().regex(RESOURCE_ID_PATTERN, RESOURCE_ID_MESSAGE);

/** `<projectId>/<documentId>`, URL-encoded in paths. */
export const DocumentName = z
  .string()
  .regex(new RegExp(`^${RESOURCE_ID_SOURCE}/${RESOURCE_ID_SOURCE}$`), 'expected <projectId>/<documentId>')
  .openapi({ description: 'The document name <projectId>/<documentId> (URL-encoded in paths)' });

/** User ids come from the host application's tokens (`sub`), so they are wider than resource ids. */
export const UserId = z.string().min(1).max(256);

/** Writing session ids (UUIDs, or a host's own ids). */
export const SessionId = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'expected a session id');

/** An opaque paging cursor (the `nextCursor` of the previous page). */
export const Cursor = z.string().max(128).openapi({ description: 'The nextCursor of the previous page' });

/** A page size. */
export const Limit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);

/** An instant, ISO 8601 with an offset. */
export const Instant = z.string().datetime({ offset: true });

/** Path `{projectId}`. */
export const ProjectParam = z.object({ projectId: ResourceId });
