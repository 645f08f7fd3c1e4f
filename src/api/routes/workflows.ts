import { createRoute, z } from '@hono/zod-openapi';
import type { TokenVerifier } from '../../auth/tokens.js';
import { AppError } from '../../lib/errors.js';
import type { WorkflowRecord } from '../../services/workflows/ports.js';
import type { WorkflowService } from '../../services/workflows/workflow-service.js';
import { access } from '../access.js';
import { createResourceApp, type ApiApp } from '../context.js';
import { checkProjectAccess } from '../middleware/access.js';
import { requireIdentity } from '../middleware/auth.js';
import { BODY_LIMITS, limitBody } from '../middleware/body-limit.js';
import { Limit, ResourceId } from '../params.js';
import { errors, json } from '../schemas.js';
import { presentRun, Run } from './workflow-runs.js';

/**
 * Workflow definitions: register (fixed path), list, get, enable/disable, execute (fixed),
 * executions (fixed), stats (fixed). Owners manage a project's workflows, editors run them,
 * readers and reviewers see nothing. The project is in the body or is the workflow's, so the
 * declared level is checked by the handler once it knows the project (`checkProjectAccess`).
 */

export interface WorkflowRoutesDeps {
  verifier: TokenVerifier;
  workflows: WorkflowService;
}

const tags = ['workflows'];
const security = [{ bearer: [] }];
const WorkflowId = z.string().min(1).max(64).openapi({ description: 'A workflow id (from register)' });

const Workflow = z
  .object({
    id: z.string(),
    projectId: z.string(),
    name: z.string(),
    version: z.number().int(),
    enabled: z.boolean(),
    templateId: z.string().nullable(),
    definition: z.record(z.string(), z.unknown()).openapi({ description: 'The current definition (docs/workflows.md)' }),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Workflow');

/**
 * The body is checked in two steps: the project first (so a reader is told 403, not 400), then
 * the whole definition by the workflow validator, whose 400 lists every problem with its path.
 */
const Definition = z
  .object({ projectId: ResourceId })
  .passthrough()
  .openapi('WorkflowDefinition', { description: '{name, projectId, trigger, steps: [{id, action, input?, dependsOn?, retry?, timeout?, onError?, compensate?}]} (docs/workflows.md)' });

const register = createRoute({
  method: 'post',
  path: '/api/workflows/register',
  tags,
  security,
  summary: 'Registers a workflow (a new version when a workflow of that name exists in the project)',
  ...access('project:owner'),
  request: { body: { required: true, content: { 'application/json': { schema: Definition } } } },
  responses: { 201: json(z.object({ id: z.string(), version: z.number().int() }), 'registered'), ...errors(400, 401, 403, 413) },
});
const list = createRoute({
  method: 'get',
  path: '/api/workflows',
  tags,
  security,
  summary: "A project's workflows",
  ...access('project:write'),
  request: { query: z.object({ projectId: ResourceId }) },
  responses: { 200: json(z.object({ workflows: z.array(Workflow) }), 'the workflows'), ...errors(400, 401, 403) },
});
const stats = createRoute({
  method: 'get',
  path: '/api/workflows/stats',
  tags,
  security,
  summary: 'Runs by status, runs due now and workflows (of a project; all projects for admins)',
  ...access('project:write'),
  request: { query: z.object({ projectId: ResourceId.optional() }) },
  responses: {
    200: json(z.object({ byStatus: z.record(z.string(), z.number().int()), due: z.number().int(), workflows: z.number().int() }), 'counts'),
    ...errors(400, 401, 403),
  },
});
const get = createRoute({
  method: 'get',
  path: '/api/workflows/{id}',
  tags,
  security,
  summary: 'One workflow',
  ...access('authenticated'),
  request: { params: z.object({ id: WorkflowId }) },
  responses: { 200: json(Workflow, 'the workflow'), ...errors(400, 401, 403, 404) },
});
const setEnabled = (enabled: boolean) =>
  createRoute({
    method: 'post',
    path: `/api/workflows/{id}/${enabled ? 'enable' : 'disable'}`,
    tags,
    security,
    summary: enabled ? 'Enables a workflow (its triggers fire again)' : 'Disables a workflow (no new runs; runs in flight finish)',
    ...access('authenticated'),
    request: { params: z.object({ id: WorkflowId }) },
    responses: { 200: json(Workflow, 'the workflow'), ...errors(400, 401, 403, 404) },
  });
const execute = createRoute({
  method: 'post',
  path: '/api/workflows/{id}/execute',
  tags,
  security,
  summary: 'Starts a run now (owner or editor of the workflow’s project)',
  ...access('authenticated'),
  request: {
    params: z.object({ id: WorkflowId }),
    body: { required: false, content: { 'application/json': { schema: z.object({ input: z.unknown().optional() }).strict() } } },
  },
  responses: { 202: json(z.object({ runId: z.string() }), 'the run started'), ...errors(400, 401, 403, 404, 409, 413) },
});
const executions = createRoute({
  method: 'get',
  path: '/api/workflows/{id}/executions',
  tags,
  security,
  summary: 'Recent runs of a workflow with their steps, newest first',
  ...access('authenticated'),
  request: { params: z.object({ id: WorkflowId }), query: z.object({ limit: Limit(200, 50) }) },
  responses: { 200: json(z.object({ runs: z.array(Run) }), 'the runs'), ...errors(400, 401, 403, 404) },
});

const present = (w: WorkflowRecord) => ({
  ...w,
  definition: w.definition as unknown as Record<string, unknown>,
  createdAt: new Date(w.createdAt).toISOString(),
  updatedAt: new Date(w.updatedAt).toISOString(),
});

export function workflowRoutes(deps: WorkflowRoutesDeps): ApiApp {
  const app = createResourceApp();
  const { workflows } = deps;
  for (const path of ['/api/workflows', '/api/workflows/*']) {
    app.use(path, requireIdentity(deps.verifier));
    app.use(path, limitBody(BODY_LIMITS.workflow));
  }

  /** The workflow, once the caller may see it: owner or editor there (admins pass). */
  async function visible(identity: Parameters<typeof checkProjectAccess>[0], id: string, level: 'project:write' | 'project:owner' = 'project:write') {
    const workflow = await workflows.get(id);
    checkProjectAccess(identity, workflow.projectId, level);
    return workflow;
  }

  app.openapi(register, async (c) => {
    const body = c.req.valid('json');
    const identity = c.get('identity');
    checkProjectAccess(identity, body.projectId, 'project:owner');
    const { id, version } = await workflows.register(body, identity.userId);
    return c.json({ id, version }, 201);
  });

  app.openapi(list, async (c) => {
    const { projectId } = c.req.valid('query');
    checkProjectAccess(c.get('identity'), projectId, 'project:write');
    return c.json({ workflows: (await workflows.list(projectId)).map(present) }, 200);
  });

  app.openapi(stats, async (c) => {
    const { projectId } = c.req.valid('query');
    const identity = c.get('identity');
    if (projectId === undefined && !identity.admin) throw new AppError('validation-failed', 'projectId is required (only admins see every project)', { field: 'projectId' });
    if (projectId !== undefined) checkProjectAccess(identity, projectId, 'project:write');
    return c.json(await workflows.stats(projectId), 200);
  });

  app.openapi(get, async (c) => c.json(present(await visible(c.get('identity'), c.req.valid('param').id)), 200));

  for (const enabled of [true, false]) {
    app.openapi(setEnabled(enabled), async (c) => {
      const { id } = c.req.valid('param');
      await visible(c.get('identity'), id, 'project:owner');
      return c.json(present(await workflows.setEnabled(id, enabled)), 200);
    });
  }

  app.openapi(execute, async (c) => {
    const { id } = c.req.valid('param');
    const identity = c.get('identity');
    await visible(identity, id);
    const body = c.req.valid('json') as { input?: unknown } | undefined;
    return c.json(await workflows.execute(id, (body?.input ?? null) as never, identity.userId), 202);
  });

  app.openapi(executions, async (c) => {
    const { id } = c.req.valid('param');
    await visible(c.get('identity'), id);
    return c.json({ runs: (await workflows.executions(id, c.req.valid('query').limit)).map(presentRun) }, 200);
  });
  return app;
}
