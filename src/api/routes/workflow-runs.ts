import { createRoute, z } from '@hono/zod-openapi';
import type { TokenVerifier } from '../../auth/tokens.js';
import type { RunRecord } from '../../services/workflows/ports.js';
import type { WorkflowService } from '../../services/workflows/workflow-service.js';
import { RUN_STATUSES, STEP_STATUSES } from '../../workflows/run-state.js';
import { access } from '../access.js';
import { createResourceApp, type ApiApp } from '../context.js';
import { checkProjectAccess } from '../middleware/access.js';
import { requireIdentity } from '../middleware/auth.js';
import { BODY_LIMITS, limitBody } from '../middleware/body-limit.js';
import { errors, json } from '../schemas.js';

/**
 * One run of a workflow: its steps with timings, attempts, errors, inputs and outputs, and
 * cancel. The run's project decides who may see it (owner or editor there).
 */

export interface WorkflowRunRoutesDeps {
  verifier: TokenVerifier;
  workflows: WorkflowService;
}

const tags = ['workflows'];
const security = [{ bearer: [] }];
const iso = z.string().openapi({ description: 'ISO 8601' });

const Step = z
  .object({
    id: z.string(),
    status: z.enum(STEP_STATUSES),
    attempts: z.number().int(),
    startedAt: iso.optional(),
    finishedAt: iso.optional(),
    error: z.string().optional(),
    input: z.unknown().optional(),
    output: z.unknown().optional(),
    compensation: z.object({ status: z.enum(['running', 'completed', 'failed']), error: z.string().optional(), finishedAt: iso.optional() }).optional(),
  })
  .openapi('WorkflowRunStep');

export const Run = z
  .object({
    id: z.string(),
    workflowId: z.string(),
    version: z.number().int(),
    status: z.enum(RUN_STATUSES),
    startedAt: iso.optional(),
    finishedAt: iso.optional(),
    error: z.string().optional(),
    trigger: z.unknown(),
    steps: z.array(Step),
  })
  .openapi('WorkflowRun');

const RunParams = z.object({ runId: z.string().min(1).max(64) });

const get = createRoute({
  method: 'get',
  path: '/api/workflows/runs/{runId}',
  tags,
  security,
  summary: 'One run with its steps',
  ...access('authenticated'),
  request: { params: RunParams },
  responses: { 200: json(Run, 'the run'), ...errors(400, 401, 403, 404) },
});
const cancel = createRoute({
  method: 'post',
  path: '/api/workflows/runs/{runId}/cancel',
  tags,
  security,
  summary: 'Cancels a run: nothing more starts, running steps are aborted',
  ...access('authenticated'),
  request: { params: RunParams },
  responses: { 200: json(Run, 'the run (cancelled, or finishing its cancel)'), ...errors(400, 401, 403, 404, 409) },
});

const isoOf = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export function presentRun(record: RunRecord) {
  const run = record.state;
  return {
    id: run.id,
    workflowId: run.workflowId,
    version: run.version,
    status: run.status,
    startedAt: isoOf(run.startedAt ?? run.createdAt),
    finishedAt: isoOf(run.finishedAt),
    ...(run.error === undefined ? {} : { error: run.error }),
    trigger: run.trigger,
    steps: run.steps.map((s) => ({
      id: s.id,
      status: s.status,
      attempts: s.attempts,
      startedAt: isoOf(s.startedAt),
      finishedAt: isoOf(s.finishedAt),
      ...(s.error === undefined ? {} : { error: s.error }),
      ...(s.input === undefined ? {} : { input: s.input }),
      ...(s.output === undefined ? {} : { output: s.output }),
      ...(s.compensation ? { compensation: { ...s.compensation, finishedAt: isoOf(s.compensation.finishedAt) } } : {}),
    })),
  };
}

export function workflowRunRoutes(deps: WorkflowRunRoutesDeps): ApiApp {
  const app = createResourceApp();
  const { workflows } = deps;
  app.use('/api/workflows/runs/*', requireIdentity(deps.verifier));
  app.use('/api/workflows/runs/*', limitBody(BODY_LIMITS.small));

  app.openapi(get, async (c) => {
    const run = await workflows.run(c.req.valid('param').runId);
    checkProjectAccess(c.get('identity'), run.projectId, 'project:write');
    return c.json(presentRun(run), 200);
  });

  app.openapi(cancel, async (c) => {
    const { runId } = c.req.valid('param');
    checkProjectAccess(c.get('identity'), (await workflows.run(runId)).projectId, 'project:write');
    return c.json(presentRun(await workflows.cancel(runId)), 200);
  });
  return app;
}
