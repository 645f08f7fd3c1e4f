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
