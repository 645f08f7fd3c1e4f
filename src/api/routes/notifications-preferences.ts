import { createRoute, z } from '@hono/zod-openapi';
import { AppError } from '../../lib/errors.js';
import { verifyUnsubscribeToken } from '../../services/notifications/channels/unsubscribe.js';
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

const UNSUBSCRIBE = '/api/realtime/notifications/unsubscribe';
const TokenQuery = z.object({ token: z.string().min(1).max(2048) });

const unsubscribeOneClick = createRoute({
  method: 'post',
  path: UNSUBSCRIBE,
  tags: ['notifications'],
  summary: "One-click unsubscribe from an email's List-Unsubscribe header (RFC 8058): the signed token is the credential",
  description: 'Takes the channel off every priority of the category the token names (`*`: every category).',
  ...access('public'),
  request: { query: TokenQuery },
  responses: { 200: json(z.object({ ok: z.literal(true), category: z.string(), channel: z.string() }), 'unsubscribed'), ...errors(400, 413) },
});

const unsubscribePage = createRoute({
  method: 'get',
  path: UNSUBSCRIBE,
  tags: ['notifications'],
  summary: "The email footer's unsubscribe link: a page whose button POSTs the one-click unsubscribe (a GET changes nothing: link scanners follow links)",
  ...access('public'),
  request: { query: TokenQuery },
  responses: { 200: { description: 'a confirmation page', content: { 'text/html': { schema: z.string() } } }, ...errors(400) },
});

/** GET/PUT the caller's own notification preferences, and the signed unsubscribe link of emails. */
export function notificationPreferenceRoutes(deps: { verifier: TokenVerifier; service: NotificationService; unsubscribeSecret?: string }): ApiApp {
  const app = createResourceApp();
  const scopeOf = (token: string) => {
    const scope = deps.unsubscribeSecret ? verifyUnsubscribeToken(deps.unsubscribeSecret, token) : undefined;
    if (!scope) throw new AppError('validation-failed', 'The unsubscribe link is not valid', { field: 'token' });
    return scope;
  };
  app.openapi(unsubscribeOneClick, async (c) => {
    const scope = scopeOf(c.req.valid('query').token);
    await deps.service.unsubscribe(scope);
    return c.json({ ok: true as const, category: scope.category, channel: scope.channel }, 200);
  });
  app.openapi(unsubscribePage, (c) => {
    const { token } = c.req.valid('query');
    const scope = scopeOf(token);
    const what = scope.category === '*' ? 'all notifications' : `${scope.category} notifications`;
    return c.html(
      `<!doctype html><meta charset="utf-8"><title>Unsubscribe</title><form method="post" action="${UNSUBSCRIBE}?token=${encodeURIComponent(token)}"><p>Stop ${what} by ${scope.channel}?</p><button>Unsubscribe</button></form>`,
      200,
    );
  });
  app.use(PATH, requireIdentity(deps.verifier), limitBody(BODY_LIMITS.small));
  app.openapi(getPreferences, async (c) => c.json(await deps.service.getPreferences(c.get('identity').userId), 200));
  app.openapi(putPreferences, async (c) => {
    const body = c.req.valid('json') as StoredPreferences;
    return c.json(await deps.service.updatePreferences(c.get('identity').userId, body), 200);
  });
  return app;
}
