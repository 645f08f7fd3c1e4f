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
