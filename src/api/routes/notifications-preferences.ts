import { createRoute } from '@hono/zod-openapi';
import type { TokenVerifier } from '../../auth/tokens.js';
import type { StoredPreferences } from '../../notify/model.js';
import type { NotificationService } from '../../services/notifications/notification-service.js';
import { access } from '../access.js';
import { createResourceApp, type ApiApp } from '../context.js';
import { requireIdentity } from '../middleware/auth.js';
import { BODY_LIMITS, limitBody } from '../middleware/body-limit.js';
import { errors, json } from '../schemas.js';
import { Preferences, PreferencesBody } from './notifications-schemas.js';

const PATH = '/api/realtime/notifications/preferences';

const getPreferences = createRoute({
  method: 'get',
  path: PATH,
  tags: ['notifications'],
  summary: 'Your effective notification preferences (defaults filled in) and which channels this server has configured',
  ...access('authenticated'),
  security: [{ bearer: [] }],
  responses: { 200: json(Preferences, 'effective preferences'), ...errors(401) },
});

const putPreferences = createRoute({
  method: 'put',
  path: PATH,
  tags: ['notifications'],
  summary: 'Change your notification preferences: every field optional, merged into what you set before',
  description: 'quietHours null turns quiet hours off; mute values are ISO instants (a past one unmutes).',
  ...access('authenticated'),
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { 'application/json': { schema: PreferencesBody } } } },
  responses: { 200: json(Preferences, 'effective preferences after the change'), ...errors(400, 401, 413) },
});

/** GET/PUT the caller's own notification preferences. */
export function notificationPreferenceRoutes(deps: { verifier: TokenVerifier; service: NotificationService }): ApiApp {
  const app = createResourceApp();
  app.use(PATH, requireIdentity(deps.verifier), limitBody(BODY_LIMITS.small));
  app.openapi(getPreferences, async (c) => c.json(await deps.service.getPreferences(c.get('identity').userId), 200));
  app.openapi(putPreferences, async (c) => {
    const body = c.req.valid('json') as StoredPreferences;
    return c.json(await deps.service.updatePreferences(c.get('identity').userId, body), 200);
  });
  return app;
}
