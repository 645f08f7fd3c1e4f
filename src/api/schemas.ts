import { z } from '@hono/zod-openapi';

/** The one error body of the REST API (mirrors AppError.toJSON). */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.record(z.string(), z.unknown()),
    }),
  })
  .openapi('Error');

/** An OpenAPI response of JSON `schema`; every route file describes its responses with it. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

/** The one table of error responses; routes pick the statuses they can answer with `errors(...)`. */
export const ERROR_RESPONSES = {
  400: json(ErrorBody, 'invalid request (validation-failed, with the issues in details)'),
  401: json(ErrorBody, 'no token, or an invalid or expired one'),
  403: json(ErrorBody, 'the token has no (or too low a) role for this, or is not an admin token'),
  404: json(ErrorBody, 'no such resource'),
  409: json(ErrorBody, 'the resource is in a state that refuses this'),
  413: json(ErrorBody, 'the request body is over the limit'),
  503: json(ErrorBody, 'the feature is turned off on this server'),
} as const;
type ErrorStatus = keyof typeof ERROR_RESPONSES;

/** The error responses for `statuses`, each described once (ERROR_RESPONSES). */
export function errors<S extends ErrorStatus>(...statuses: S[]): { [K in S]: (typeof ERROR_RESPONSES)[K] } {
  return Object.fromEntries(statuses.map((s) => [s, ERROR_RESPONSES[s]])) as { [K in S]: (typeof ERROR_RESPONSES)[K] };
}

/** The usual set of an authenticated JSON route. */
export const AUTHENTICATED_ERRORS = errors(400, 401, 403);
