import { swaggerUI } from '@hono/swagger-ui';
import { HTTPException } from 'hono/http-exception';
import type { TokenVerifier } from '../auth/tokens.js';
import { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { createResourceApp, type ApiApp } from './context.js';
import { accessTable, enforceAccess } from './middleware/access.js';
import { limitBody } from './middleware/body-limit.js';
import type { RestRateLimit } from './middleware/rate-limit.js';
import { adminRoutes, type AdminDeps } from './routes/admin.js';
import { collaborationRoutes, type CollaborationRoutesDeps } from './routes/collaboration.js';
import { devRoutes, type DevRoutesDeps } from './routes/dev.js';
import { documentExportRoutes, type DocumentExportRoutesDeps } from './routes/document-export.js';
import { IMPORT_PATH, documentImportRoutes, type DocumentImportRoutesDeps } from './routes/document-import.js';
import { workflowTemplateRoutes } from './routes/workflow-templates.js';
import { workflowRunRoutes } from './routes/workflow-runs.js';
import { workflowRoutes, type WorkflowRoutesDeps } from './routes/workflows.js';
import { documentVersionRoutes, type DocumentVersionRoutesDeps } from './routes/document-versions.js';
import { eventRoutes, type EventRoutesDeps } from './routes/events.js';
import { registerFeatureGuards } from './routes/features.js';
import { healthRoutes, type HealthDeps } from './routes/health.js';
import { notificationRoutes, type NotificationRoutesDeps } from './routes/notifications.js';
import { notificationPreferenceRoutes } from './routes/notifications-preferences.js';
import { notificationPushRoutes } from './routes/notifications-push.js';
import { projectExportRoutes } from './routes/project-export.js';
import { registerMetricsRoute } from './routes/metrics.js';
import { registerWebRoutes, type WebRoutesDeps } from './routes/web.js';
import { websocketRoutes, type WebsocketRoutesDeps } from './routes/websocket.js';
import { writingAnalyticsRoutes } from './routes/writing-analytics.js';
import { writingGoalRoutes, type WritingAnalyticsDeps } from './routes/writing-goals.js';
import { writingSessionRoutes, type WritingSessionRoutesDeps } from './routes/writing-sessions.js';

export interface ApiDeps {
  verifier: TokenVerifier;
  logger: Logger;
  health: HealthDeps;
  admin: Omit<AdminDeps, 'verifier'>;
  metrics: { render(): Promise<{ contentType: string; body: string }> };
  events: Omit<EventRoutesDeps, 'verifier'>;
  websocket: Omit<WebsocketRoutesDeps, 'verifier'>;
  writingAnalytics: Omit<WritingAnalyticsDeps, 'verifier'>;
  features: { realTimeTracking: boolean; workflowAutomation: boolean };
  /** Absent when real-time tracking is off (the feature guard answers 503 for its paths). */
  writingSessions?: Omit<WritingSessionRoutesDeps, 'verifier'>;
  /** Absent when real-time tracking is off (the feature guard answers 503 for its paths). */
  collaboration?: Omit<CollaborationRoutesDeps, 'verifier'>;
  version: string;
  /** The inbox, sending, preferences and push subscriptions (docs/notifications.md). */
  notifications?: Omit<NotificationRoutesDeps, 'verifier'>;
  /** Versions of documents: save, list, view, compare, restore. */
  versions: Omit<DocumentVersionRoutesDeps, 'verifier'>;
  /** Export (documents, books) and import (docs/export.md); the import route has its own body limit, MAX_IMPORT_BYTES. */
  publishing: Omit<DocumentExportRoutesDeps, 'verifier'> & Omit<DocumentImportRoutesDeps, 'verifier'>;
  /** MAX_BODY_BYTES: every route's body limit unless the route sets a smaller one. */
  maxBodyBytes: number;
  /** REST_REQUESTS_PER_SECOND / REST_REQUEST_BURST, per address and per user on /api/*. */
  rateLimit: RestRateLimit;
  /** The demo web app and dashboard (Vite build); without it `/` answers a one-line text. */
  web?: WebRoutesDeps;
  /** Workflow definitions and runs (docs/workflows.md); absent when WORKFLOW_AUTOMATION_ENABLED=false (503). */
  workflows?: Omit<WorkflowRoutesDeps, 'verifier'>;
  /** Development login for the demo; server.ts passes it only where config.devTokens enables it. */
  dev?: DevRoutesDeps;
}

/**
 * The Hono app: every REST route, the OpenAPI document at /api/openapi.json and its interactive
 * docs at /api/docs. One error handler turns every failure into `{error: {code, message,
 * details}}`; a bug becomes a 500 `internal-error` and is logged once, here.
 */
export function createApi(deps: ApiDeps): ApiApp {
  const app: ApiApp = createResourceApp();

  app.onError((error, c) => {
    if (error instanceof AppError) return c.json(error.toJSON(), error.httpStatus as 400);
    if (error instanceof HTTPException && error.status < 500) {
      // Hono's own refusals (malformed JSON, body limits): same body shape as ours.
      const code = error.status === 413 ? 'message-too-large' : error.status === 401 ? 'unauthorized' : 'validation-failed';
      return c.json(new AppError(code, error.message || 'The request is not valid').toJSON(), error.status);
    }
    deps.logger.error({ err: error, path: c.req.path }, 'unhandled API error');
    return c.json(new AppError('internal-error', 'Something went wrong on our side').toJSON(), 500);
  });
  app.notFound((c) => c.json(new AppError('not-found', `No route for ${c.req.method} ${c.req.path}`).toJSON(), 404));

  // First, so an oversized body is refused before any route reads or authenticates it.
  // The import route is the one exception: a manuscript file has its own limit (MAX_IMPORT_BYTES).
  const bodyLimit = limitBody(deps.maxBodyBytes);
  app.use('*', (c, next) => (IMPORT_PATH.test(c.req.path) ? next() : bodyLimit(c, next)));
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  registerFeatureGuards(app, deps.features);
  registerMetricsRoute(app, deps.metrics);
  // One sub-app per resource (routes/*.ts, absolute paths), mounted at the root: route()
  // copies each one's operations into this app's OpenAPI document.
  const { verifier } = deps;
  const resources: ApiApp[] = [
    healthRoutes(deps.health),
    adminRoutes({ verifier, ...deps.admin }),
    eventRoutes({ verifier, ...deps.events }),
    websocketRoutes({ verifier, ...deps.websocket }),
    writingAnalyticsRoutes({ verifier, ...deps.writingAnalytics }),
    writingGoalRoutes({ verifier, ...deps.writingAnalytics }),
    ...(deps.writingSessions ? [writingSessionRoutes({ verifier, ...deps.writingSessions })] : []),
    ...(deps.collaboration ? [collaborationRoutes({ verifier, ...deps.collaboration })] : []),
    ...(deps.dev ? [devRoutes(deps.dev)] : []),
    ...(deps.notifications
      ? [
          notificationPreferenceRoutes({ verifier, ...deps.notifications }),
          notificationPushRoutes({ verifier, ...deps.notifications }),
          notificationRoutes({ verifier, ...deps.notifications }),
        ]
      : []),
    documentExportRoutes({ verifier, ...deps.publishing }),
    projectExportRoutes({ verifier, ...deps.publishing }),
    documentImportRoutes({ verifier, ...deps.publishing }),
    documentVersionRoutes({ verifier, ...deps.versions }),
    // Runs before definitions: `/api/workflows/runs/...` is not a workflow id.
    ...(deps.workflows ? [workflowTemplateRoutes({ verifier, ...deps.workflows })] : []),
    ...(deps.workflows ? [workflowRunRoutes({ verifier, ...deps.workflows }), workflowRoutes({ verifier, ...deps.workflows })] : []),
  ];
  // Per address before authentication (it also bounds token guessing), per user right after
  // it; /healthz, /readyz and /metrics are outside /api/ and never limited.
  app.use('/api/*', deps.rateLimit.byIp);
  // Every operation's declared x-access level, enforced before its own middleware and handler.
  app.use('/api/*', enforceAccess(accessTable(resources), verifier));
  app.use('/api/*', deps.rateLimit.byUser);
  for (const resource of resources) app.route('/', resource);

  app.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Storyloom API',
      version: deps.version,
      description: 'REST API of the Storyloom collaboration server. Errors are always {error: {code, message, details}}.',
    },
  });
  app.get('/api/docs', swaggerUI({ url: '/api/openapi.json' }));
  if (deps.web) registerWebRoutes(app, deps.web);
  else {
    app.get('/', (c) =>
      c.text('Storyloom is running. Collaboration: ws(s)://<host>/collaboration. API docs: /api/docs\n'),
    );
  }
  return app;
}
