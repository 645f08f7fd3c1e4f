import type { Config } from '../config.js';
import type { Logger } from '../lib/logger.js';
import type { DeliveryChannel } from '../services/notifications/channels/channel.js';
import { createBrevoEmailChannel, createBrevoSmsChannel } from './brevo.js';
import { notConfiguredChannel, parseMailbox } from './common.js';
import { createSmtpEmailChannel } from './email-smtp.js';
import { resolveVapidKeys } from './vapid.js';
import { createWebPushChannel } from './web-push.js';

export { verifyUnsubscribeToken, signUnsubscribeToken } from '../services/notifications/channels/unsubscribe.js';
export { UNSUBSCRIBE_PATH } from './links.js';
export type { WebPushChannel } from './web-push.js';

export interface DeliveryChannelsOptions {
  /** Signs List-Unsubscribe tokens; pass the server's auth secret (a purpose-bound key is derived). */
  unsubscribeSecret: string;
  /** Replaces global fetch for Brevo and push (tests need none: they point the URLs at local servers). */
  fetch?: typeof fetch;
}

/**
 * The email, SMS and push channels from the configuration (in-app belongs to the
 * notifications service). Each channel is always present; one whose transport is not set is a
 * stand-in whose readiness says what to set and whose sends fail, never a silent success.
 *
 * Email: SMTP_URL wins when set (it is also what docker-compose points at Mailpit); otherwise
 * BREVO_API_KEY sends email through Brevo's API. SMS needs BREVO_API_KEY. Links need
 * PUBLIC_URL; outside production they fall back to http://localhost:<PORT>.
 */
export async function createDeliveryChannels(
  config: Pick<Config, 'delivery' | 'dataDir' | 'production' | 'http'>,
  logger: Logger,
  options: DeliveryChannelsOptions,
): Promise<DeliveryChannel[]> {
  const d = config.delivery;
  const publicUrl = d.publicUrl ?? (config.production ? undefined : `http://localhost:${config.http.port || 8080}`);
  const common = { unsubscribeSecret: options.unsubscribeSecret, ...(options.fetch ? { fetch: options.fetch } : {}) };
  const brevo = d.brevo.apiKey ? { apiKey: d.brevo.apiKey, baseUrl: d.brevo.baseUrl } : undefined;
  const sender = d.mailFrom ? parseMailbox(d.mailFrom) : undefined;

  let email: DeliveryChannel;
  if (!d.smtpUrl && !brevo) email = notConfiguredChannel('email', 'not configured: set SMTP_URL (or BREVO_API_KEY)');
  else if (!d.mailFrom) email = notConfiguredChannel('email', 'not configured: set MAIL_FROM');
  else if (!sender) email = notConfiguredChannel('email', 'not configured: MAIL_FROM is not an address ("Name <address>" or "address")');
  else if (!publicUrl) email = notConfiguredChannel('email', 'not configured: set PUBLIC_URL (emails link back to the app)');
  else if (d.smtpUrl) {
    email = createSmtpEmailChannel({
      smtpUrl: d.smtpUrl,
      mailFrom: d.mailFrom,
      mailFromAddress: sender.email,
      publicUrl,
      unsubscribeSecret: options.unsubscribeSecret,
      logger: logger.child({ channel: 'email' }),
    });
  } else {
    email = createBrevoEmailChannel({ ...brevo!, ...common, sender, publicUrl, logger: logger.child({ channel: 'email' }) });
  }

  const sms: DeliveryChannel = !brevo
    ? notConfiguredChannel('sms', 'not configured: set BREVO_API_KEY')
    : !publicUrl
      ? notConfiguredChannel('sms', 'not configured: set PUBLIC_URL (messages link back to the app)')
      : createBrevoSmsChannel({ ...brevo, ...common, sender: d.brevo.smsSender, publicUrl, logger: logger.child({ channel: 'sms' }) });

  let push: DeliveryChannel;
  const vapid = await resolveVapidKeys({ configured: d.vapid, dataDir: config.dataDir, production: config.production });
  const subject = d.vapid.subject ?? (sender ? `mailto:${sender.email}` : publicUrl?.startsWith('https://') ? publicUrl : undefined);
  if (!vapid) push = notConfiguredChannel('push', 'not configured: set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY (npx web-push generate-vapid-keys)');
  else if (!subject) push = notConfiguredChannel('push', 'not configured: set VAPID_SUBJECT (mailto: or https:)');
  else if (!publicUrl) push = notConfiguredChannel('push', 'not configured: set PUBLIC_URL (pushes link back to the app)');
  else {
    if (vapid.source === 'generated') logger.info({ dataDir: config.dataDir }, 'generated VAPID keys for web push into DATA_DIR');
    push = createWebPushChannel({ ...common, keys: vapid.keys, subject, publicUrl, logger: logger.child({ channel: 'push' }) });
  }

  for (const channel of [email, sms, push]) {
    const { configured, detail } = channel.readiness();
    logger.info({ channel: channel.name, configured, detail }, 'notification channel');
  }
  return [email, sms, push];
}

/** Closes what the channels hold open (the SMTP pool). */
export async function closeDeliveryChannels(channels: readonly DeliveryChannel[]): Promise<void> {
  await Promise.all(channels.map((c) => ('close' in c && typeof c.close === 'function' ? (c.close as () => Promise<void>)() : undefined)));
}
