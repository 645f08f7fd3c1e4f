/**
 * Workflows over REST (server docs/workflows.md): the operations `client.api` gets from this
 * file (spread into rest.ts's table and methods) and `client.workflows`, the same calls for one
 * project plus its live run events. Owners register and enable; owners and editors list, run,
 * inspect and cancel; readers see nothing (403).
 */
import type { components, paths } from './openapi.gen.js';
import type { RequestInput, RouteSpec } from './rest.js';
import { asEvent, type StoryloomEvent } from './events.js';

type Schemas = components['schemas'];
type Json<P extends keyof paths, M extends keyof paths[P], S extends number = 200> =
  paths[P][M] extends { responses: infer R } ? (R extends Record<S, { content: { 'application/json': infer B } }> ? B : never) : never;

/** A registered workflow with its current definition (`definition.trigger`, `definition.steps`). */
export type Workflow = Schemas['Workflow'];
/** `{name, projectId, trigger, steps}`: a 400 lists every problem of a refused one in `details`. */
export type WorkflowDefinition = Schemas['WorkflowDefinition'];
/** One run: `pending|running|completed|failed|cancelled|rolled_back`, its steps in definition order. */
export type WorkflowRun = Schemas['WorkflowRun'];
/** One step of a run: status, attempts, times, error, input/output and its compensation (rollback). */
export type WorkflowRunStep = Schemas['WorkflowRunStep'];
export type WorkflowStats = Json<'/api/workflows/stats', 'get'>;
export type WorkflowRegistered = Json<'/api/workflows/register', 'post', 201>;
export type WorkflowRunStarted = Json<'/api/workflows/{id}/execute', 'post', 202>;
/** One of the six templates (auto-save, publication-pipeline, ...): `params` is a JSON Schema. */
export type WorkflowTemplate = Schemas['WorkflowTemplate'];
/** `{id, version}` of the workflow a template registered in the project. */
export type WorkflowTemplateInstantiated = Json<'/api/workflows/templates/{templateId}/instantiate', 'post', 201>;

const W = '/api/workflows';

/** The workflow operations of the REST table (rest.ts spreads them into API_ROUTES). */
export const WORKFLOW_ROUTES = {
  registerWorkflow: { method: 'POST', path: `${W}/register`, auth: true },
  listWorkflowTemplates: { method: 'GET', path: `${W}/templates`, auth: true },
  instantiateWorkflowTemplate: { method: 'POST', path: `${W}/templates/{templateId}/instantiate`, auth: true },
  listWorkflows: { method: 'GET', path: W, auth: true },
  workflowStats: { method: 'GET', path: `${W}/stats`, auth: true },
  getWorkflow: { method: 'GET', path: `${W}/{id}`, auth: true },
  enableWorkflow: { method: 'POST', path: `${W}/{id}/enable`, auth: true },
  disableWorkflow: { method: 'POST', path: `${W}/{id}/disable`, auth: true },
  executeWorkflow: { method: 'POST', path: `${W}/{id}/execute`, auth: true },
  workflowExecutions: { method: 'GET', path: `${W}/{id}/executions`, auth: true },
  getWorkflowRun: { method: 'GET', path: `${W}/runs/{runId}`, auth: true },
  cancelWorkflowRun: { method: 'POST', path: `${W}/runs/{runId}/cancel`, auth: true },
} as const satisfies Record<string, RouteSpec>;

/** The typed methods of WORKFLOW_ROUTES on `client.api`. */
export interface WorkflowsApi {
  /** Owner of the definition's project; a new version when the name exists. */
  registerWorkflow(definition: WorkflowDefinition): Promise<WorkflowRegistered>;
  listWorkflowTemplates(): Promise<{ templates: WorkflowTemplate[] }>;
  /** Owner of the project; a 400 lists every parameter problem in `details.problems`, an unknown template is 404. */
  instantiateWorkflowTemplate(templateId: string, projectId: string, params?: Record<string, unknown>): Promise<WorkflowTemplateInstantiated>;
  listWorkflows(projectId: string): Promise<{ workflows: Workflow[] }>;
  workflowStats(projectId: string): Promise<WorkflowStats>;
  getWorkflow(id: string): Promise<Workflow>;
  enableWorkflow(id: string): Promise<Workflow>;
  disableWorkflow(id: string): Promise<Workflow>;
  /** Starts a run (202): follow it with `getWorkflowRun` or the `automation.*` events. */
  executeWorkflow(id: string, input?: unknown): Promise<WorkflowRunStarted>;
  /** Newest first; `limit` 1-200 (default 50). */
  workflowExecutions(id: string, limit?: number): Promise<{ runs: WorkflowRun[] }>;
  getWorkflowRun(runId: string): Promise<WorkflowRun>;
  cancelWorkflowRun(runId: string): Promise<WorkflowRun>;
}

type Requester = <R>(operation: keyof typeof WORKFLOW_ROUTES, input?: RequestInput, okStatuses?: readonly number[]) => Promise<R>;

export function workflowOperations(request: Requester): WorkflowsApi {
  return {
    registerWorkflow: (definition) => request('registerWorkflow', { body: definition }),
    listWorkflowTemplates: () => request('listWorkflowTemplates'),
    instantiateWorkflowTemplate: (templateId, projectId, params) => request('instantiateWorkflowTemplate', { params: { templateId }, body: { projectId, params: params ?? {} } }),
    listWorkflows: (projectId) => request('listWorkflows', { query: { projectId } }),
    workflowStats: (projectId) => request('workflowStats', { query: { projectId } }),
    getWorkflow: (id) => request('getWorkflow', { params: { id } }),
    enableWorkflow: (id) => request('enableWorkflow', { params: { id } }),
    disableWorkflow: (id) => request('disableWorkflow', { params: { id } }),
    executeWorkflow: (id, input) => request('executeWorkflow', { params: { id }, body: input === undefined ? {} : { input } }),
    workflowExecutions: (id, limit) => request('workflowExecutions', { params: { id }, query: { limit } }),
    getWorkflowRun: (runId) => request('getWorkflowRun', { params: { runId } }),
    cancelWorkflowRun: (runId) => request('cancelWorkflowRun', { params: { runId } }),
  };
}

/** An `automation.*` event of a run (payload `runId`, `workflowId`, and `step` for step events). */
export interface AutomationEvent extends StoryloomEvent<string> {
  payload: { runId: string; workflowId: string; step?: string; error?: string } & Record<string, unknown>;
}

/** The run event in a gateway `data` value, or null for anything else on the channel. */
export function asAutomationEvent(data: unknown): AutomationEvent | null {
  const event = asEvent(data);
  if (!event || !event.type.startsWith('automation.')) return null;
  const { runId, workflowId } = event.payload;
  return typeof runId === 'string' && typeof workflowId === 'string' ? (event as AutomationEvent) : null;
}

/** `client.workflows`: the REST calls under short names. */
export interface WorkflowsClient {
  list(projectId: string): Promise<Workflow[]>;
  get(id: string): Promise<Workflow>;
  register(definition: WorkflowDefinition): Promise<WorkflowRegistered>;
  /** The workflow templates with their parameters (JSON Schema). */
  templates(): Promise<WorkflowTemplate[]>;
  /** Registers a template's workflow in the project; resolves with the workflow id. */
  instantiate(templateId: string, projectId: string, params?: Record<string, unknown>): Promise<string>;
  execute(id: string, input?: unknown): Promise<string>;
  executions(id: string, limit?: number): Promise<WorkflowRun[]>;
  run(runId: string): Promise<WorkflowRun>;
  cancel(runId: string): Promise<WorkflowRun>;
  stats(projectId: string): Promise<WorkflowStats>;
}

export function workflowsClient(api: WorkflowsApi): WorkflowsClient {
  return {
    list: async (projectId) => (await api.listWorkflows(projectId)).workflows,
    get: (id) => api.getWorkflow(id),
    register: (definition) => api.registerWorkflow(definition),
    templates: async () => (await api.listWorkflowTemplates()).templates,
    instantiate: async (templateId, projectId, params) => (await api.instantiateWorkflowTemplate(templateId, projectId, params)).id,
    execute: async (id, input) => (await api.executeWorkflow(id, input)).runId,
    executions: async (id, limit) => (await api.workflowExecutions(id, limit)).runs,
    run: (runId) => api.getWorkflowRun(runId),
    cancel: (runId) => api.cancelWorkflowRun(runId),
    stats: (projectId) => api.workflowStats(projectId),
  };
}
