import { createECDH, createPublicKey, randomBytes, verify, type ECDH } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createDeliveryChannels, type WebPushChannel } from '../../src/delivery/index.js';
import { vapidKeysFile } from '../../src/delivery/vapid.js';
import { createLogger } from '../../src/lib/logger.js';
import type { OutboundMessage, PushSubscriptionRecord } from '../../src/services/notifications/channels/channel.js';

/**
 * Web push to a local HTTP push service: the request must carry a VAPID Authorization whose
 * JWT verifies with the channel's public key, a TTL, and an aes128gcm body that decrypts with
 * the subscription's own keys (http_ece, the reference implementation of RFC 8188).
 */
const ece = createRequire(import.meta.url)('http_ece') as {
  decrypt(buffer: Buffer, params: { version: 'aes128gcm'; privateKey: ECDH; authSecret: string }): Buffer;
};
const PUBLIC_URL = 'https://write.example.test';

interface Browser {
  subscription: PushSubscriptionRecord;
  ecdh: ECDH;
  auth: string;
}

/** What a browser does on subscribe: a P-256 key pair and a 16-byte auth secret. */
function browser(id: string, endpoint: string): Browser {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16).toString('base64url');
  return { ecdh, auth, subscription: { id, endpoint, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth } } };
}

/** Checks a `vapid t=<jwt>, k=<key>` header (RFC 8292) and returns the JWT claims. */
function verifyVapid(authorization: string | undefined, expectedKey: string): Record<string, unknown> {
  const match = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(authorization ?? '');
  if (!match) throw new Error(`not a VAPID Authorization header: ${authorization}`);
  const [, jwt, key] = match;
  expect(key).toBe(expectedKey);
  const [head, claims, signature] = jwt!.split('.');
  expect(JSON.parse(Buffer.from(head!, 'base64url').toString())).toEqual({ typ: 'JWT', alg: 'ES256' });
  const raw = Buffer.from(key!, 'base64url');
  const publicKey = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33, 65).toString('base64url') }, format: 'jwk' });
  const ok = verify('sha256', Buffer.from(`${head}.${claims}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature!, 'base64url'));
  expect(ok).toBe(true);
  return JSON.parse(Buffer.from(claims!, 'base64url').toString()) as Record<string, unknown>;
}

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function message(subscriptions: PushSubscriptionRecord[], over: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    idempotencyKey: 'delivery:n-7:push',
    channel: 'push',
    kind: 'single',
    recipient: { userId: 'u-ada', pushSubscriptions: subscriptions },
    notifications: [
      { id: 'n-7', category: 'publishing', priority: 'critical', title: 'Upload failed', body: 'The EPUB was rejected by the store.', createdAt: '2026-03-29T12:00:00.000Z', projectId: 'p-1' },
    ],
    ...over,
  };
}

describe('web push channel', () => {
  let server: Server;
  let origin: string;
  let dataDir: string;
  let push: WebPushChannel;
  const received: Received[] = [];
  /** Status per path; 201 when absent. */
  const answers = new Map<string, number>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(answers.get(req.url ?? '') ?? 201);
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dataDir = await mkdtemp(join(tmpdir(), 'storyloom-push-'));
    const config = loadConfig({ PUBLIC_URL, DATA_DIR: dataDir, VAPID_SUBJECT: 'mailto:ops@storyloom.test' });
    const channels = await createDeliveryChannels(config, createLogger({ level: 'silent' }), { unsubscribeSecret: 'push-test-secret-0123456789abcdef' });
    push = channels.find((c) => c.name === 'push') as WebPushChannel;
  });

  beforeEach(() => {
    received.length = 0;
    answers.clear();
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('generated its VAPID keys into DATA_DIR (outside production) and keeps them', async () => {
    expect(push.readiness()).toEqual({ configured: true, detail: 'web push (VAPID, subject mailto:ops@storyloom.test)' });
    const stored = JSON.parse(await readFile(vapidKeysFile(dataDir), 'utf8')) as { publicKey: string; privateKey: string };
    expect(stored.publicKey).toBe(push.vapidPublicKey);
    const again = await createDeliveryChannels(loadConfig({ PUBLIC_URL, DATA_DIR: dataDir }), createLogger({ level: 'silent' }), { unsubscribeSecret: 'z'.repeat(32) });
    expect((again.find((c) => c.name === 'push') as WebPushChannel).vapidPublicKey).toBe(push.vapidPublicKey);
  });

  it('sends an encrypted payload with VAPID, TTL and Urgency that the subscription decrypts', async () => {
    const device = browser('s-1', `${origin}/push/device-1`);
    const result = await push.send(message([device.subscription]));
    expect(result).toEqual({ status: 'sent' });
    expect(received).toHaveLength(1);
    const [req] = received;
    expect(req!.path).toBe('/push/device-1');
    expect(req!.headers.ttl).toBe('86400');
    expect(req!.headers.urgency).toBe('high');
    expect(req!.headers['content-encoding']).toBe('aes128gcm');
    expect(req!.headers.topic).toMatch(/^[0-9a-f]{32}$/);
    const claims = verifyVapid(req!.headers.authorization, push.vapidPublicKey);
    expect(claims.aud).toBe(origin);
    expect(claims.sub).toBe('mailto:ops@storyloom.test');
    expect(claims.exp).toBeGreaterThan(Date.now() / 1000);

    const plain = ece.decrypt(req!.body, { version: 'aes128gcm', privateKey: device.ecdh, authSecret: device.auth });
    expect(JSON.parse(plain.toString('utf8'))).toEqual({
      type: 'notification',
      notification: {
        id: 'n-7',
        category: 'publishing',
        priority: 'critical',
        title: 'Upload failed',
        body: 'The EPUB was rejected by the store.',
        createdAt: '2026-03-29T12:00:00.000Z',
        projectId: 'p-1',
        url: `${PUBLIC_URL}/#/notifications/n-7`,
      },
    });
    // Another subscription's keys cannot read it.
    const stranger = browser('s-x', `${origin}/push/x`);
    expect(() => ece.decrypt(req!.body, { version: 'aes128gcm', privateKey: stranger.ecdh, authSecret: stranger.auth })).toThrow();
  });

  it('uses a shorter TTL and lower urgency for a low-priority digest that lists its items', async () => {
    const device = browser('s-2', `${origin}/push/device-2`);
    const notifications = Array.from({ length: 3 }, (_, i) => ({
      id: `d-${i}`,
      category: 'analytics',
      priority: 'low' as const,
      title: `Item ${i}`,
      body: 'x'.repeat(50),
      createdAt: `2026-03-29T0${i}:00:00.000Z`,
      projectId: 'p-1',
    }));
    expect((await push.send(message([device.subscription], { kind: 'digest', notifications }))).status).toBe('sent');
    const [req] = received;
    expect(req!.headers.ttl).toBe('14400');
    expect(req!.headers.urgency).toBe('low');
    const payload = JSON.parse(ece.decrypt(req!.body, { version: 'aes128gcm', privateKey: device.ecdh, authSecret: device.auth }).toString()) as {
      type: string;
      count: number;
      notifications: { id: string }[];
    };
    expect(payload.type).toBe('digest');
    expect(payload.count).toBe(3);
    expect(payload.notifications.map((n) => n.id)).toEqual(['d-0', 'd-1', 'd-2']);
  });

  it('reports a 410 subscription as expired (permanent when it was the only one)', async () => {
    const gone = browser('s-gone', `${origin}/push/gone`);
    answers.set('/push/gone', 410);
    const result = await push.send(message([gone.subscription]));
    expect(result).toMatchObject({ status: 'failed', permanent: true, expiredSubscriptionIds: ['s-gone'] });
  });

  it('delivers to the live devices and reports the 404/410 ones for deletion', async () => {
    const live = browser('s-live', `${origin}/push/live`);
    const gone = browser('s-410', `${origin}/push/gone-410`);
    const missing = browser('s-404', `${origin}/push/gone-404`);
    answers.set('/push/gone-410', 410);
    answers.set('/push/gone-404', 404);
    const result = await push.send(message([live.subscription, gone.subscription, missing.subscription]));
    expect(result).toEqual({ status: 'sent', expiredSubscriptionIds: ['s-410', 's-404'] });
    expect(received).toHaveLength(3);
  });

  it('treats a 5xx from the push service as transient', async () => {
    const device = browser('s-busy', `${origin}/push/busy`);
    answers.set('/push/busy', 503);
    const result = await push.send(message([device.subscription]));
    expect(result).toMatchObject({ status: 'failed', permanent: false });
    expect(result.status === 'failed' && result.expiredSubscriptionIds).toBeUndefined();
  });

  it('fails permanently with no subscriptions, without a request', async () => {
    expect(await push.send(message([]))).toEqual({ status: 'failed', permanent: true, error: 'no push subscriptions for this user' });
    expect(received).toHaveLength(0);
  });
});
