import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { closeDeliveryChannels, createDeliveryChannels, verifyUnsubscribeToken } from '../../src/delivery/index.js';
import { createLogger } from '../../src/lib/logger.js';
import type { DeliveryChannel, OutboundMessage, OutboundNotification } from '../../src/services/notifications/channels/channel.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

/** Email over real SMTP: nodemailer → smtp-server on 127.0.0.1, parsed with mailparser. */
const SECRET = 'unsubscribe-test-secret-0123456789abcdef';
const PUBLIC_URL = 'https://write.example.test';

function notification(over: Partial<OutboundNotification> = {}): OutboundNotification {
  return {
    id: 'n-1',
    category: 'collaboration',
    priority: 'high',
    title: 'Conflict predicted in Chapter 3',
    body: 'Ada and Grace are editing the same paragraph.',
    createdAt: '2026-03-29T09:15:00.000Z',
    projectId: 'p-1',
    ...over,
  };
}

function message(over: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    idempotencyKey: 'delivery:n-1:email',
    channel: 'email',
    kind: 'single',
    recipient: { userId: 'u-ada', email: 'ada@example.test' },
    notifications: [notification()],
    ...over,
  };
}

function header(mail: { headerLines: readonly { key: string; line: string }[] }, key: string): string | undefined {
  const line = mail.headerLines.find((h) => h.key === key)?.line;
  return line?.slice(line.indexOf(':') + 1).replace(/\r?\n\s+/g, ' ').trim();
}

describe('email channel over SMTP', () => {
  let sink: SmtpSink;
  let dataDir: string;
  let channels: DeliveryChannel[];
  let email: DeliveryChannel;

  beforeAll(async () => {
    sink = await startSmtpSink({
      refuse: (rcpt) =>
        rcpt.startsWith('gone@') ? { code: 550, message: 'mailbox unavailable' } : rcpt.startsWith('busy@') ? { code: 451, message: 'try again later' } : undefined,
    });
    dataDir = await mkdtemp(join(tmpdir(), 'storyloom-email-'));
    const config = loadConfig({ SMTP_URL: sink.url, MAIL_FROM: 'Storyloom <notify@storyloom.test>', PUBLIC_URL, DATA_DIR: dataDir });
    channels = await createDeliveryChannels(config, createLogger({ level: 'silent' }), { unsubscribeSecret: SECRET });
    email = channels.find((c) => c.name === 'email')!;
  });

  afterAll(async () => {
    await closeDeliveryChannels(channels);
    await sink.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reports SMTP as configured', () => {
    expect(email.readiness()).toEqual({ configured: true, detail: `SMTP ${sink.url}` });
  });

  it('sends a single alert with headers, text, HTML, the link back and one-click unsubscribe', async () => {
    const result = await email.send(message());
    expect(result.status).toBe('sent');
    expect(sink.messages).toHaveLength(1);
    const mail = sink.messages[0]!;
    expect(mail.from?.value).toEqual([{ name: 'Storyloom', address: 'notify@storyloom.test' }]);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value : []).toEqual([{ name: '', address: 'ada@example.test' }]);
    expect(mail.subject).toBe('[Storyloom] Conflict predicted in Chapter 3');
    expect(mail.text).toContain('Ada and Grace are editing the same paragraph.');
    expect(mail.text).toContain(`Open in Storyloom: ${PUBLIC_URL}/#/notifications/n-1`);
    expect(mail.html).toContain('<h1 style="font-size:20px;margin:0 0 12px">Conflict predicted in Chapter 3</h1>');
    expect(mail.html).toContain(`href="${PUBLIC_URL}/#/notifications/n-1"`);

    const unsubscribe = header(mail, 'list-unsubscribe');
    expect(unsubscribe).toMatch(new RegExp(`^<${PUBLIC_URL.replace(/\./g, '\\.')}/api/realtime/notifications/unsubscribe\\?token=[^>]+>$`));
    expect(header(mail, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    const token = decodeURIComponent(new URL(unsubscribe!.slice(1, -1)).searchParams.get('token')!);
    expect(verifyUnsubscribeToken(SECRET, token)).toEqual({ userId: 'u-ada', category: 'collaboration', channel: 'email' });
    expect(verifyUnsubscribeToken('another-secret-0123456789abcdef0123', token)).toBeUndefined();
    expect(mail.html).toContain(`href="${unsubscribe!.slice(1, -1).replace(/&/g, '&amp;')}"`);

    expect(header(mail, 'x-storyloom-idempotency-key')).toBe('delivery:n-1:email');
    expect(mail.messageId).toMatch(/^<[0-9a-f]{32}@storyloom\.test>$/);
  });

  it('gives a retry of the same delivery the same Message-ID', async () => {
    const before = sink.messages.length;
    await email.send(message({ idempotencyKey: 'delivery:retry:email' }));
    await email.send(message({ idempotencyKey: 'delivery:retry:email' }));
    await email.send(message({ idempotencyKey: 'delivery:other:email' }));
    const ids = sink.messages.slice(before).map((m) => m.messageId);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it('escapes user text in the HTML and keeps it literal in the text part', async () => {
    const evil = notification({ id: 'n-x', title: '<script>alert(1)</script> & "quotes"', body: '<img src=x onerror=alert(2)>' });
    expect((await email.send(message({ idempotencyKey: 'k-evil', notifications: [evil] }))).status).toBe('sent');
    const mail = sink.messages.at(-1)!;
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<img');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
    expect(mail.text).toContain('<img src=x onerror=alert(2)>');
    expect(mail.subject).toBe('[Storyloom] <script>alert(1)</script> & "quotes"');
  });

  it('sends a digest listing every notification with its link', async () => {
    const items = [
      notification({ id: 'd-2', category: 'analytics', priority: 'low', title: 'Goal met: 1,000 words', createdAt: '2026-03-29T10:00:00.000Z' }),
      notification({ id: 'd-1', category: 'analytics', priority: 'medium', title: 'Goal missed yesterday', createdAt: '2026-03-29T08:00:00.000Z' }),
      notification({ id: 'd-3', category: 'analytics', priority: 'low', title: 'Sales up 40 %', createdAt: '2026-03-29T11:00:00.000Z' }),
    ];
    const result = await email.send(message({ idempotencyKey: 'digest:u-ada:2026-03-29', kind: 'digest', notifications: items }));
    expect(result.status).toBe('sent');
    const mail = sink.messages.at(-1)!;
    expect(mail.subject).toBe('Storyloom digest: 3 notifications');
    for (const n of items) {
      expect(mail.text).toContain(n.title);
      expect(mail.text).toContain(`${PUBLIC_URL}/#/notifications/${n.id}`);
      expect(mail.html).toContain(`href="${PUBLIC_URL}/#/notifications/${n.id}"`);
    }
    // Oldest first.
    expect(mail.text!.indexOf('Goal missed yesterday')).toBeLessThan(mail.text!.indexOf('Goal met'));
    expect(mail.html).toContain(`href="${PUBLIC_URL}/#/notifications"`);
    const token = new URL(header(mail, 'list-unsubscribe')!.slice(1, -1)).searchParams.get('token')!;
    expect(verifyUnsubscribeToken(SECRET, token)).toEqual({ userId: 'u-ada', category: 'analytics', channel: 'email' });
  });

  it('classifies a 5xx refusal as permanent and a 4xx as transient', async () => {
    const gone = await email.send(message({ idempotencyKey: 'k-gone', recipient: { userId: 'u-x', email: 'gone@example.test' } }));
    expect(gone).toMatchObject({ status: 'failed', permanent: true });
    expect(gone.status === 'failed' && gone.error).toContain('550');
    const busy = await email.send(message({ idempotencyKey: 'k-busy', recipient: { userId: 'u-y', email: 'busy@example.test' } }));
    expect(busy).toMatchObject({ status: 'failed', permanent: false });
    expect(busy.status === 'failed' && busy.error).toContain('451');
  });

  it('fails permanently without an address, without talking to the server', async () => {
    const before = sink.messages.length;
    expect(await email.send(message({ recipient: { userId: 'u-z' } }))).toEqual({ status: 'failed', permanent: true, error: 'no email address for this user' });
    expect(sink.messages).toHaveLength(before);
  });
});

describe('email channel when the SMTP server is down', () => {
  it('reports a connection failure as transient', async () => {
    const sink = await startSmtpSink();
    const url = sink.url;
    await sink.close();
    const dataDir = await mkdtemp(join(tmpdir(), 'storyloom-email-down-'));
    const config = loadConfig({ SMTP_URL: url, MAIL_FROM: 'notify@storyloom.test', PUBLIC_URL, DATA_DIR: dataDir });
    const channels = await createDeliveryChannels(config, createLogger({ level: 'silent' }), { unsubscribeSecret: SECRET });
    try {
      const result = await channels.find((c) => c.name === 'email')!.send(message());
      expect(result).toMatchObject({ status: 'failed', permanent: false });
      expect(result.status === 'failed' && result.error).toMatch(/ECONNECTION|ECONNREFUSED|ESOCKET/);
    } finally {
      await closeDeliveryChannels(channels);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
