import type { Logger } from '../lib/logger.js';
import type { DeliveryChannel, OutboundNotification, SendResult } from '../services/notifications/channels/channel.js';
import {
  errorText,
  idempotencyHeader,
  isTransientStatus,
  permanentFailure,
  retryAfterMs,
  transientFailure,
} from './common.js';
import { messageLinks } from './links.js';
import { renderEmail, renderSms } from './templates.js';

/**
 * Brevo's transactional HTTP API (https://developers.brevo.com): email through
 * `POST /smtp/email` and SMS through `POST /transactionalSMS/sms`, authenticated by the
 * `api-key` header. Brevo documents `/transactionalSMS/send` as the newer SMS path; the older
 * one stays operational and is the one with a documented response body, so it is used here
 * (one constant to change). The base URL is configurable so tests talk to a local server.
 */
export const BREVO_EMAIL_PATH = '/smtp/email';
export const BREVO_SMS_PATH = '/transactionalSMS/sms';

export interface BrevoOptions {
  apiKey: string;
  /** e.g. https://api.brevo.com/v3, no trailing slash. */
  baseUrl: string;
  publicUrl: string;
  unsubscribeSecret: string;
  logger: Logger;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export interface BrevoEmailOptions extends BrevoOptions {
  sender: { name: string | undefined; email: string };
}

export interface BrevoSmsOptions extends BrevoOptions {
  /** 3–11 letters/digits or up to 15 digits (BREVO_SMS_SENDER). */
  sender: string;
  /** SMS costs money and wakes people: only these priorities, whatever the preferences say. */
  allowedPriorities?: readonly OutboundNotification['priority'][];
}

export function createBrevoEmailChannel(options: BrevoEmailOptions): DeliveryChannel {
  return {
    name: 'email',
    readiness: () => ({ configured: true, detail: `Brevo API ${options.baseUrl}${BREVO_EMAIL_PATH}` }),
    async send(message, signal) {
      const to = message.recipient.email;
      if (!to) return permanentFailure('no email address for this user');
      if (message.notifications.length === 0) return permanentFailure('message has no notifications');
      const links = messageLinks(options.publicUrl, message, options.unsubscribeSecret);
      const rendered = renderEmail(message, links);
      const sender = options.sender.name ? { name: options.sender.name, email: options.sender.email } : { email: options.sender.email };
      return post(options, BREVO_EMAIL_PATH, {
        sender,
        to: [{ email: to }],
        subject: rendered.subject,
        htmlContent: rendered.html,
        textContent: rendered.text,
        headers: {
          'List-Unsubscribe': `<${links.unsubscribe}>`,
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
          'X-Storyloom-Idempotency-Key': idempotencyHeader(message),
        },
        tags: ['notification', ...new Set(message.notifications.map((n) => n.category))],
      }, signal);
    },
  };
}

export function createBrevoSmsChannel(options: BrevoSmsOptions): DeliveryChannel {
  const allowed = new Set(options.allowedPriorities ?? ['critical', 'high']);
  return {
    name: 'sms',
    readiness: () => ({
      configured: true,
      detail: `Brevo API ${options.baseUrl}${BREVO_SMS_PATH}, sender ${options.sender}, priorities ${[...allowed].join(', ')}`,
    }),
    async send(message, signal) {
      const phone = message.recipient.phone;
      if (!phone) return permanentFailure('no phone number for this user');
      // Brevo wants the international number without the plus sign.
      const recipient = phone.replace(/^\+/, '');
      if (!/^\d{6,15}$/.test(recipient)) return permanentFailure('phone number is not in international (E.164) form');
      if (message.notifications.length === 0) return permanentFailure('message has no notifications');
      const refused = message.notifications.find((n) => !allowed.has(n.priority));
      if (refused) return permanentFailure(`SMS carries only ${[...allowed].join(' and ')} notifications, not ${refused.priority}`);
      const links = messageLinks(options.publicUrl, message, options.unsubscribeSecret);
      const content = renderSms(message, links);
      return post(options, BREVO_SMS_PATH, {
        sender: options.sender,
        recipient,
        content,
        type: 'transactional',
        tag: `notification-${message.notifications[0]!.category}`,
        // Titles may hold accents or emoji; without this Brevo sends them as GSM-7 and mangles them.
        ...(/[^\x20-\x7e]/.test(content) ? { unicodeEnabled: true } : {}),
      }, signal);
    },
  };
}

/** 201 (or any 2xx) is sent; 408/429/5xx and network errors are transient; other 4xx permanent. */
async function post(options: BrevoOptions, path: string, body: unknown, signal?: AbortSignal): Promise<SendResult> {
  const doFetch = options.fetch ?? fetch;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 15_000);
  let response: Response;
  try {
    response = await doFetch(`${options.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'api-key': options.apiKey, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (error) {
    return transientFailure(`Brevo request failed: ${errorText(error)}`);
  }
  const text = await response.text().catch(() => '');
  if (response.ok) {
    const id = parseMessageId(text);
    return id === undefined ? { status: 'sent' } : { status: 'sent', providerId: id };
  }
  const error = `Brevo ${response.status}: ${brevoMessage(text)}`;
  if (response.status === 401 || response.status === 403) options.logger.error({ status: response.status }, 'Brevo refused the API key: check BREVO_API_KEY');
  return isTransientStatus(response.status) ? transientFailure(error, retryAfterMs(response.headers.get('retry-after'))) : permanentFailure(error);
}

function parseMessageId(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { messageId?: unknown };
    return parsed.messageId === undefined ? undefined : String(parsed.messageId);
  } catch {
    return undefined;
  }
}

/** Brevo's error body is `{code, message}`; fall back to a bounded slice of whatever came. */
function brevoMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { code?: unknown; message?: unknown };
    if (typeof parsed.message === 'string') return typeof parsed.code === 'string' ? `${parsed.code}: ${parsed.message}` : parsed.message;
  } catch {
    // not JSON
  }
  return text.slice(0, 200) || '(empty body)';
}
