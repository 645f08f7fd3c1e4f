import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { closeDeliveryChannels, createDeliveryChannels } from '../../src/delivery/index.js';
import { createLogger } from '../../src/lib/logger.js';
import type { DeliveryChannel, OutboundMessage, OutboundNotification } from '../../src/services/notifications/channels/channel.js';

/**
 * Brevo emulated by a local HTTP server that holds each request to Brevo's documented format
 * (developers.brevo.com: POST /v3/smtp/email and POST /v3/transactionalSMS/sms, `api-key`
 * header, JSON bodies) and answers what a test scripts: 201 with a messageId, a 5xx, a 400.
 */
const API_KEY = 'xkeysib-test-0123456789';
const PUBLIC_URL = 'https://write.example.test';

interface Recorded {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
  violations: string[];
}

/** The documented request shape; each mismatch is a violation the tests assert away. */
function check(path: string, headers: IncomingMessage['headers'], body: Record<string, unknown>): string[] {
  const v: string[] = [];
  if (headers['api-key'] !== API_KEY) v.push('api-key header');
  if (!String(headers['content-type']).startsWith('application/json')) v.push('content-type');
  const isString = (x: unknown): x is string => typeof x === 'string' && x.length > 0;
  if (path === '/v3/smtp/email') {
    const sender = body.sender as { name?: unknown; email?: unknown } | undefined;
    if (!sender || !isString(sender.email) || (sender.name !== undefined && !isString(sender.name))) v.push('sender {name?, email}');
    const to = body.to as { email?: unknown }[] | undefined;
    if (!Array.isArray(to) || to.length === 0 || !to.every((r) => isString(r.email))) v.push('to [{email}]');
    if (!isString(body.subject)) v.push('subject');
    if (!isString(body.htmlContent) && !isString(body.textContent)) v.push('htmlContent or textContent');
    if (body.headers !== undefined && (typeof body.headers !== 'object' || !Object.values(body.headers as object).every(isString))) v.push('headers: string values');
    if (body.tags !== undefined && (!Array.isArray(body.tags) || !body.tags.every(isString))) v.push('tags: strings');
    const known = ['sender', 'to', 'cc', 'bcc', 'replyTo', 'subject', 'htmlContent', 'textContent', 'headers', 'tags', 'params', 'templateId', 'attachment', 'scheduledAt', 'batchId', 'messageVersions'];
    for (const k of Object.keys(body)) if (!known.includes(k)) v.push(`unknown field ${k}`);
  } else if (path === '/v3/transactionalSMS/sms') {
    if (!isString(body.sender) || !/^([A-Za-z0-9 ]{3,11}|\d{3,15})$/.test(body.sender)) v.push('sender (≤11 alphanumeric or ≤15 digits)');
    if (!isString(body.recipient) || !/^\d{6,15}$/.test(body.recipient)) v.push('recipient (digits with country code)');
    if (!isString(body.content)) v.push('content');
    if (body.type !== undefined && body.type !== 'transactional' && body.type !== 'marketing') v.push('type');
    const known = ['sender', 'recipient', 'content', 'type', 'tag', 'webUrl', 'unicodeEnabled', 'organisationPrefix'];
    for (const k of Object.keys(body)) if (!known.includes(k)) v.push(`unknown field ${k}`);
  } else {
    v.push(`unknown path ${path}`);
  }
  return v;
}

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

function message(over: Partial<OutboundMessage> & { priority?: OutboundNotification['priority'] } = {}): OutboundMessage {
  const { priority = 'critical', ...rest } = over;
  return {
    idempotencyKey: `k-${Math.random().toString(36).slice(2)}`,
    channel: 'email',
    kind: 'single',
    recipient: { userId: 'u-ada', email: 'ada@example.test', phone: '+4915112345678' },
    notifications: [
      { id: 'n-9', category: 'automation', priority, title: 'Workflow "Nightly export" failed', body: 'Step 3 timed out.', createdAt: '2026-03-29T02:00:00.000Z', projectId: 'p-1' },
    ],
    ...rest,
  };
}

describe('Brevo email and SMS channels', () => {
  let server: Server;
  let baseUrl: string;
  let dataDir: string;
  let channels: DeliveryChannel[];
  let email: DeliveryChannel;
  let sms: DeliveryChannel;
  const requests: Recorded[] = [];
  let script: Answer[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (raw += c));
      req.on('end', () => {
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(raw) as Record<string, unknown>;
        } catch {
          body = {};
        }
        const path = req.url ?? '';
        const violations = req.method === 'POST' ? check(path, req.headers, body) : [`method ${req.method}`];
        requests.push({ path, headers: req.headers, body, violations });
        const answer: Answer =
          violations.length > 0
            ? { status: 400, body: { code: 'invalid_parameter', message: violations.join(', ') } }
            : (script.shift() ?? { status: 201, body: path.includes('SMS') ? { reference: 'ref', messageId: 1511882900176220, smsCount: 1 } : { messageId: '<201@smtp-relay.mailin.fr>' } });
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v3`;
    dataDir = await mkdtemp(join(tmpdir(), 'storyloom-brevo-'));
    const config = loadConfig({ BREVO_API_KEY: API_KEY, BREVO_BASE_URL: baseUrl, MAIL_FROM: 'Storyloom <notify@storyloom.test>', PUBLIC_URL, DATA_DIR: dataDir });
    channels = await createDeliveryChannels(config, createLogger({ level: 'silent' }), { unsubscribeSecret: 'brevo-test-secret-0123456789abcdef' });
    email = channels.find((c) => c.name === 'email')!;
    sms = channels.find((c) => c.name === 'sms')!;
  });

  beforeEach(() => {
    requests.length = 0;
    script = [];
  });

  afterAll(async () => {
    await closeDeliveryChannels(channels);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('uses Brevo for email when SMTP_URL is not set, and reports both channels configured', () => {
    expect(email.readiness()).toEqual({ configured: true, detail: `Brevo API ${baseUrl}/smtp/email` });
    expect(sms.readiness().configured).toBe(true);
    expect(sms.readiness().detail).toContain('priorities critical, high');
  });

  it('sends email in the documented format and answers 201 as sent', async () => {
    const result = await email.send(message({ idempotencyKey: 'delivery:n-9:email' }));
    expect(result).toEqual({ status: 'sent', providerId: '<201@smtp-relay.mailin.fr>' });
    expect(requests).toHaveLength(1);
    const [req] = requests;
    expect(req!.violations).toEqual([]);
    expect(req!.path).toBe('/v3/smtp/email');
    expect(req!.body.sender).toEqual({ name: 'Storyloom', email: 'notify@storyloom.test' });
    expect(req!.body.to).toEqual([{ email: 'ada@example.test' }]);
    expect(req!.body.subject).toBe('[Storyloom] Critical: Workflow "Nightly export" failed');
    expect(req!.body.htmlContent).toContain('Workflow &quot;Nightly export&quot; failed');
    expect(req!.body.htmlContent).toContain(`href="${PUBLIC_URL}/#/notifications/n-9"`);
    expect(req!.body.textContent).toContain(`${PUBLIC_URL}/#/notifications/n-9`);
    const headers = req!.body.headers as Record<string, string>;
    expect(headers['List-Unsubscribe']).toMatch(/^<https:\/\/write\.example\.test\/api\/realtime\/notifications\/unsubscribe\?token=.+>$/);
    expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(headers['X-Storyloom-Idempotency-Key']).toBe('delivery:n-9:email');
  });

  it('treats a 5xx as transient; the retry with the same key is delivered once', async () => {
    script = [{ status: 503, body: { code: 'service_unavailable', message: 'try later' } }];
    const first = await email.send(message({ idempotencyKey: 'delivery:retry:email' }));
    expect(first).toMatchObject({ status: 'failed', permanent: false });
    expect(first.status === 'failed' && first.error).toBe('Brevo 503: service_unavailable: try later');
    const second = await email.send(message({ idempotencyKey: 'delivery:retry:email' }));
    expect(second.status).toBe('sent');
    expect(requests.map((r) => r.violations)).toEqual([[], []]);
    expect(requests.map((r) => (r.body.headers as Record<string, string>)['X-Storyloom-Idempotency-Key'])).toEqual(['delivery:retry:email', 'delivery:retry:email']);
  });

  it('treats a 400 as permanent and a 429 as transient with its Retry-After', async () => {
    script = [{ status: 400, body: { code: 'invalid_parameter', message: 'email is not valid' } }];
    expect(await email.send(message())).toEqual({ status: 'failed', permanent: true, error: 'Brevo 400: invalid_parameter: email is not valid' });
    script = [{ status: 429, body: { code: 'too_many_requests', message: 'slow down' }, headers: { 'retry-after': '7' } }];
    expect(await email.send(message())).toMatchObject({ status: 'failed', permanent: false, retryAfterMs: 7000 });
  });

  it('sends a critical SMS in the documented format, number without the plus sign', async () => {
    const result = await sms.send(message({ channel: 'sms' }));
    expect(result).toEqual({ status: 'sent', providerId: '1511882900176220' });
    const [req] = requests;
    expect(req!.violations).toEqual([]);
    expect(req!.path).toBe('/v3/transactionalSMS/sms');
    expect(req!.headers['api-key']).toBe(API_KEY);
    expect(req!.body).toMatchObject({ sender: 'Storyloom', recipient: '4915112345678', type: 'transactional' });
    const content = req!.body.content as string;
    expect(content).toBe(`Storyloom CRITICAL: Workflow "Nightly export" failed ${PUBLIC_URL}/#/notifications/n-9`);
    expect(content.length).toBeLessThanOrEqual(160);
  });

  it('refuses SMS below high priority without calling Brevo', async () => {
    for (const priority of ['medium', 'low'] as const) {
      const result = await sms.send(message({ channel: 'sms', priority }));
      expect(result).toEqual({ status: 'failed', permanent: true, error: `SMS carries only critical and high notifications, not ${priority}` });
    }
    expect((await sms.send(message({ channel: 'sms', priority: 'high' }))).status).toBe('sent');
    expect(requests).toHaveLength(1);
  });

  it('fails an SMS permanently without a usable phone number', async () => {
    expect(await sms.send(message({ channel: 'sms', recipient: { userId: 'u' } }))).toMatchObject({ status: 'failed', permanent: true, error: 'no phone number for this user' });
    expect(await sms.send(message({ channel: 'sms', recipient: { userId: 'u', phone: '12ab' } }))).toMatchObject({ status: 'failed', permanent: true });
    expect(requests).toHaveLength(0);
  });

  it('treats an unreachable Brevo as transient', async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const config = loadConfig({ BREVO_API_KEY: API_KEY, BREVO_BASE_URL: `http://127.0.0.1:${port}/v3`, MAIL_FROM: 'notify@storyloom.test', PUBLIC_URL, DATA_DIR: dataDir });
    const offline = await createDeliveryChannels(config, createLogger({ level: 'silent' }), { unsubscribeSecret: 'x'.repeat(32) });
    const result = await offline.find((c) => c.name === 'email')!.send(message());
    expect(result).toMatchObject({ status: 'failed', permanent: false });
    expect(result.status === 'failed' && result.error).toMatch(/^Brevo request failed/);
  });
});

describe('choosing the email transport', () => {
  it('prefers SMTP_URL over BREVO_API_KEY and still sends SMS through Brevo', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'storyloom-choice-'));
    const config = loadConfig({ SMTP_URL: 'smtp://127.0.0.1:2525', BREVO_API_KEY: API_KEY, MAIL_FROM: 'notify@storyloom.test', PUBLIC_URL, DATA_DIR: dataDir });
    const channels = await createDeliveryChannels(config, createLogger({ level: 'silent' }), { unsubscribeSecret: 'y'.repeat(32) });
    try {
      expect(channels.find((c) => c.name === 'email')!.readiness().detail).toBe('SMTP smtp://127.0.0.1:2525');
      expect(channels.find((c) => c.name === 'sms')!.readiness().detail).toMatch(/^Brevo API https:\/\/api\.brevo\.com\/v3\/transactionalSMS\/sms/);
    } finally {
      await closeDeliveryChannels(channels);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
