import type { Transporter } from 'nodemailer';
import type { Logger } from '../lib/logger.js';
import type { DeliveryChannel, OutboundMessage, SendResult } from '../services/notifications/channels/channel.js';
import { errorText, idempotencyDigest, idempotencyHeader, permanentFailure, transientFailure } from './common.js';
import { loadNodemailer } from './libs.js';
import { messageLinks } from './links.js';
import { renderEmail } from './templates.js';

export interface SmtpEmailChannelOptions {
  /** smtp://user:pass@host:587 or smtps://…:465 (nodemailer's connection URL). */
  smtpUrl: string;
  /** `Name <address>` or an address; parsed by config-time checks in createDeliveryChannels. */
  mailFrom: string;
  mailFromAddress: string;
  publicUrl: string;
  unsubscribeSecret: string;
  logger: Logger;
  /** Connection, greeting and socket timeouts (nodemailer has no AbortSignal). */
  timeoutMs?: number;
}

export interface ClosableChannel extends DeliveryChannel {
  /** Closes pooled connections; sends after close fail as transient. */
  close(): Promise<void>;
}

/**
 * Email over SMTP with nodemailer. Pooled connections (two at most) so an outbox drain does
 * not open a connection per message. The Message-ID is derived from the idempotency key, so a
 * retry of the same delivery is recognisable as the same message by any receiver or archive.
 */
export function createSmtpEmailChannel(options: SmtpEmailChannelOptions): ClosableChannel {
  const timeout = options.timeoutMs ?? 30_000;
  // Made on the first send: nodemailer is loaded only by a server that sends mail.
  let transport: Promise<Transporter> | undefined;
  const transporter = () =>
    (transport ??= loadNodemailer().then((nodemailer) =>
      nodemailer.createTransport({
        url: options.smtpUrl,
        pool: true,
        maxConnections: 2,
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout,
      }),
    ));
  const domain = options.mailFromAddress.split('@')[1] ?? 'localhost';
  let closed = false;

  return {
    name: 'email',
    readiness: () => ({ configured: true, detail: `SMTP ${redact(options.smtpUrl)}` }),
    async send(message: OutboundMessage, signal?: AbortSignal): Promise<SendResult> {
      const to = message.recipient.email;
      if (!to) return permanentFailure('no email address for this user');
      if (message.notifications.length === 0) return permanentFailure('message has no notifications');
      if (closed) return transientFailure('email channel is closed (shutting down)');
      if (signal?.aborted) return transientFailure('aborted before sending');
      const links = messageLinks(options.publicUrl, message, options.unsubscribeSecret);
      const rendered = renderEmail(message, links);
      try {
        const info = await (await transporter()).sendMail({
          from: options.mailFrom,
          to,
          subject: rendered.subject,
          text: rendered.text,
          html: rendered.html,
          messageId: `<${idempotencyDigest(message)}@${domain}>`,
          headers: {
            'X-Storyloom-Idempotency-Key': idempotencyHeader(message),
            'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
          },
          list: { unsubscribe: links.unsubscribe },
        });
        return { status: 'sent', providerId: info.messageId };
      } catch (error) {
        return classifySmtpError(error, options.logger);
      }
    },
    async close() {
      closed = true;
      // A transport whose library failed to load has nothing to close.
      (await transport?.catch(() => undefined))?.close();
    },
  };
}

/**
 * 5xx replies are permanent (the server refused this message or recipient: RFC 5321 4.2.1);
 * 4xx replies and connection, DNS, TLS and timeout errors are transient. A failed login is a
 * configuration problem: transient with a long pause, so mail flows again once it is fixed.
 */
export function classifySmtpError(error: unknown, logger?: Logger): SendResult {
  const e = error as { responseCode?: number; code?: string; response?: string };
  const text = e.response ? `${errorText(error)} (${e.response})` : errorText(error);
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH') {
    logger?.error({ err: error }, 'SMTP authentication failed: check SMTP_URL');
    return transientFailure(`SMTP authentication failed: ${text}`, 5 * 60_000);
  }
  if (typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600) return permanentFailure(`SMTP ${e.responseCode}: ${text}`);
  if (typeof e.responseCode === 'number' && e.responseCode >= 400 && e.responseCode < 500) return transientFailure(`SMTP ${e.responseCode}: ${text}`);
  if (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') return permanentFailure(`SMTP ${e.code}: ${text}`);
  return transientFailure(`SMTP ${e.code ?? 'error'}: ${text}`);
}

/** The SMTP URL without its password, for readiness details and logs. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'smtp://(unparseable)';
  }
}
