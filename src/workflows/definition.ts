import { z } from 'zod';
import { RESOURCE_ID_MESSAGE, RESOURCE_ID_PATTERN } from '../lib/ids.js';

/**
 * A workflow definition as clients register it (`POST /api/workflows/register`). The shape is a
 * fixed contract (issue 16): `{name, projectId, trigger, steps: [{id, action, input?, dependsOn?,
 * retry?, timeout?, onError?, compensate?}]}`. This module only parses the shape; whether the
 * graph, the actions and their inputs make sense is `validateDefinition` (validate.ts), so that
 * one refusal can list every problem at once.
 */

const stepId = z.string().regex(RESOURCE_ID_PATTERN, RESOURCE_ID_MESSAGE);

/** Retry policy: delay = min(maxDelay, base * factor^(attempt-1)), then jitter. */
export const retrySchema = z.strictObject({
  /** Retries after the first attempt (so `max: 3` allows 4 attempts). */
  max: z.number().int().min(0).max(20),
  /** First delay, ms. */
  base: z.number().int().min(0).max(3_600_000).default(1000),
  factor: z.number().min(1).max(10).default(2),
  maxDelay: z.number().int().min(0).max(86_400_000).default(60_000),
  /** `full`: uniformly random in [0, delay]; `none`: exactly the delay. */
  jitter: z.enum(['full', 'none']).default('full'),
});
export type RetryPolicy = z.infer<typeof retrySchema>;

export const ON_ERROR = ['fail', 'continue', 'retry', 'rollback'] as const;
export type OnError = (typeof ON_ERROR)[number];

/** A JSON value; step inputs are JSON with `{{path}}` templates in strings (template.ts). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const json: z.ZodType<Json> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string().max(100_000), z.array(json).max(1000), z.record(z.string().max(128), json)]),
);

export const stepSchema = z.strictObject({
  id: stepId,
  action: z.string().min(1).max(64),
  input: z.record(z.string().max(128), json).optional(),
  dependsOn: z.array(stepId).max(100).optional(),
  retry: retrySchema.optional(),
  /** Milliseconds one attempt may take before it counts as failed (the runner aborts it). */
  timeout: z.number().int().min(1).max(86_400_000).optional(),
  onError: z.enum(ON_ERROR).optional(),
  /** Undoes a completed step when the run rolls back (`onError: "rollback"` elsewhere). */
  compensate: z
    .strictObject({
      action: z.string().min(1).max(64),
      input: z.record(z.string().max(128), json).optional(),
    })
    .optional(),
});
export type StepDefinition = z.infer<typeof stepSchema>;

export const triggerSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('manual') }),
  z.strictObject({
    type: z.literal('event'),
    event: z.string().min(1).max(128),
    /** A json-logic rule evaluated against `{event}`; the run starts only when it is truthy. */
    condition: json.optional(),
  }),
  z.strictObject({ type: z.literal('cron'), cron: z.string().min(1).max(128), timeZone: z.string().min(1).max(64) }),
]);
export type Trigger = z.infer<typeof triggerSchema>;

export const definitionSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  projectId: z.string().regex(RESOURCE_ID_PATTERN, RESOURCE_ID_MESSAGE),
  description: z.string().max(2000).optional(),
  trigger: triggerSchema,
  steps: z.array(stepSchema).min(1).max(200),
});
export type WorkflowDefinition = z.infer<typeof definitionSchema>;
