import { createRoute, z } from '@hono/zod-openapi';
import { z as zod } from 'zod';
import type { TokenVerifier } from '../../auth/tokens.js';
import { AppError } from '../../lib/errors.js';
import type { WorkflowService } from '../../services/workflows/workflow-service.js';
import { buildFromTemplate, findTemplate, WORKFLOW_TEMPLATES } from '../../workflows/templates.js';
import { access } from '../access.js';
import { createResourceApp, type ApiApp } from '../context.js';
import { checkProjectAccess } from '../middleware/access.js';
import { requireIdentity } from '../middleware/auth.js';
import { BODY_LIMITS, limitBody } from '../middleware/body-limit.js';
import { ResourceId } from '../params.js';
import { errors, json } from '../schemas.js';

/**
 * The six workflow templates (src/workflows/templates.ts, docs/workflows.md "Templates"): list
 * them with their parameters as JSON Schema, and instantiate one in a project (owners only),
 * which registers the built definition like `POST /api/workflows/register` would. Mounted before
 * the workflow routes, so `/api/workflows/templates` is not read as a workflow id.
 */

export interface WorkflowTemplateRoutesDeps {
  verifier: TokenVerifier;
  workflows: WorkflowService;
}

const tags = ['workflows'];
const security = [{ bearer: [] }];

const Template = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    events: z.array(z.string()).openapi({ description: 'Event types that start it (empty: a cron trigger)' }),
    params: z.record(z.string(), z.unknown()).openapi({ description: 'The parameters as JSON Schema' }),
  })
  .openapi('WorkflowTemplate');

const list = createRoute({
  method: 'get',
  path: '/api/workflows/templates',
  tags,
  security,
  summary: 'The workflow templates and their parameters',
  ...access('authenticated'),
  responses: { 200: json(z.object({ templates: z.array(Template) }), 'the templates'), ...errors(401) },
});

const instantiate = createRoute({
  method: 'post',
  path: '/api/workflows/templates/{templateId}/instantiate',
  tags,
  security,
  summary: "Registers a template's workflow in a project with the given parameters (owner of the project)",
  ...access('project:owner'),
  request: {
    params: z.object({ templateId: z.string().min(1).max(64) }),
    body: {
      required: true,
      content: { 'application/json': { schema: z.object({ projectId: ResourceId, params: z.record(z.string(), z.unknown()).optional() }).strict() } },
    },
  },
  responses: { 201: json(z.object({ id: z.string(), version: z.number().int() }), 'registered'), ...errors(400, 401, 403, 404, 413) },
});

/** JSON Schemas are computed once: the templates are constants. */
const listed = WORKFLOW_TEMPLATES.map((t) => ({
  id: t.id,
  name: t.name,
  description: t.description,
  events: [...t.events],
  params: zod.toJSONSchema(t.params, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
}));

export function workflowTemplateRoutes(deps: WorkflowTemplateRoutesDeps): ApiApp {
  const app = createResourceApp();
  app.use('/api/workflows/templates', requireIdentity(deps.verifier));
  app.use('/api/workflows/templates/*', requireIdentity(deps.verifier));
  app.use('/api/workflows/templates/*', limitBody(BODY_LIMITS.workflow));

  app.openapi(list, (c) => c.json({ templates: listed }, 200));

  app.openapi(instantiate, async (c) => {
    const { templateId } = c.req.valid('param');
    const body = c.req.valid('json');
    const identity = c.get('identity');
    checkProjectAccess(identity, body.projectId, 'project:owner');
    const template = findTemplate(templateId);
    if (!template) throw new AppError('not-found', `No workflow template ${templateId}; known: ${WORKFLOW_TEMPLATES.map((t) => t.id).join(', ')}`, { templateId });
    const built = buildFromTemplate(template, body.params ?? {}, body.projectId);
    if (!built.ok) {
      throw new AppError('validation-failed', `The parameters of template ${templateId} have ${built.problems.length} problem${built.problems.length === 1 ? '' : 's'}`, {
        problems: built.problems,
      });
    }
    const { id, version } = await deps.workflows.register(built.definition, identity.userId, template.id);
    return c.json({ id, version }, 201);
  });
  return app;
}
