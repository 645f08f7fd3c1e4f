import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createDeliveryChannels } from '../../src/delivery/index.js';
import { vapidKeysFile } from '../../src/delivery/vapid.js';
import { createLogger } from '../../src/lib/logger.js';
import type { DeliveryChannel, OutboundMessage } from '../../src/services/notifications/channels/channel.js';

/** Channels without a transport say what to set and never report a send as delivered. */
const logger = createLogger({ level: 'silent' });
const AUTH_SECRET = 'a'.repeat(40);

function message(channel: OutboundMessage['channel']): OutboundMessage {
  return {
    idempotencyKey: `k-${channel}`,
    channel,
    kind: 'single',
    recipient: { userId: 'u', email: 'u@example.test', phone: '+33689965433', pushSubscriptions: [{ id: 's', endpoint: 'https://push.example.test/x', keys: { p256dh: 'p', auth: 'a' } }] },
    notifications: [{ id: 'n', category: 'system', priority: 'critical', title: 'T', body: 'B', createdAt: '2026-03-29T00:00:00.000Z', projectId: 'p' }],
  };
}

const byName = (channels: DeliveryChannel[], name: string) => channels.find((c) => c.name === name)!;

describe('channels without configuration', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'storyloom-unconfigured-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('in production with nothing set: email, SMS and push report it and fail every send', async () => {
    const config = loadConfig({ NODE_ENV: 'production', AUTH_SECRET, DATA_DIR: dataDir });
    const channels = await createDeliveryChannels(config, logger, { unsubscribeSecret: AUTH_SECRET });
    expect(channels.map((c) => c.name)).toEqual(['email', 'sms', 'push']);
    expect(channels.map((c) => c.readiness())).toEqual([
      { configured: false, detail: 'not configured: set SMTP_URL (or BREVO_API_KEY)' },
      { configured: false, detail: 'not configured: set BREVO_API_KEY' },
      { configured: false, detail: 'not configured: set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY (npx web-push generate-vapid-keys)' },
    ]);
    for (const channel of channels) {
      const result = await channel.send(message(channel.name));
      expect(result.status).toBe('failed');
      expect(result).toEqual({ status: 'failed', permanent: true, error: channel.readiness().detail });
    }
    // Production never writes keys of its own.
    await expect(stat(vapidKeysFile(dataDir))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('names the missing piece: MAIL_FROM, then PUBLIC_URL in production', async () => {
    const noFrom = await createDeliveryChannels(loadConfig({ SMTP_URL: 'smtp://127.0.0.1:1025', DATA_DIR: dataDir }), logger, { unsubscribeSecret: AUTH_SECRET });
    expect(byName(noFrom, 'email').readiness()).toEqual({ configured: false, detail: 'not configured: set MAIL_FROM' });
    const noUrl = await createDeliveryChannels(
      loadConfig({ NODE_ENV: 'production', AUTH_SECRET, SMTP_URL: 'smtp://127.0.0.1:1025', MAIL_FROM: 'n@example.test', BREVO_API_KEY: 'k', DATA_DIR: dataDir }),
      logger,
      { unsubscribeSecret: AUTH_SECRET },
    );
    expect(byName(noUrl, 'email').readiness()).toEqual({ configured: false, detail: 'not configured: set PUBLIC_URL (emails link back to the app)' });
    expect(byName(noUrl, 'sms').readiness()).toEqual({ configured: false, detail: 'not configured: set PUBLIC_URL (messages link back to the app)' });
    expect((await byName(noUrl, 'email').send(message('email'))).status).toBe('failed');
  });

  it('production with VAPID keys configures push without touching DATA_DIR', async () => {
    const { default: webpush } = await import('web-push');
    const keys = webpush.generateVAPIDKeys();
    const prodDir = join(dataDir, 'prod');
    const config = loadConfig({
      NODE_ENV: 'production',
      AUTH_SECRET,
      DATA_DIR: prodDir,
      PUBLIC_URL: 'https://write.example.test',
      VAPID_PUBLIC_KEY: keys.publicKey,
      VAPID_PRIVATE_KEY: keys.privateKey,
      VAPID_SUBJECT: 'https://write.example.test',
    });
    const push = byName(await createDeliveryChannels(config, logger, { unsubscribeSecret: AUTH_SECRET }), 'push');
    expect(push.readiness()).toEqual({ configured: true, detail: 'web push (VAPID, subject https://write.example.test)' });
    expect((push as unknown as { vapidPublicKey: string }).vapidPublicKey).toBe(keys.publicKey);
    await expect(stat(vapidKeysFile(prodDir))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('delivery configuration', () => {
  const issues = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (error) {
      return (error as ConfigError).issues.map((i) => i.variable);
    }
  };

  it('parses the delivery rows with their defaults', () => {
    const config = loadConfig({ SMTP_URL: 'smtps://u:p@mail.example.test:465', MAIL_FROM: ' Storyloom <n@example.test> ', BREVO_API_KEY: 'k' });
    expect(config.delivery).toEqual({
      publicUrl: undefined,
      smtpUrl: 'smtps://u:p@mail.example.test:465',
      mailFrom: 'Storyloom <n@example.test>',
      brevo: { apiKey: 'k', baseUrl: 'https://api.brevo.com/v3', smsSender: 'Storyloom' },
      vapid: { publicKey: undefined, privateKey: undefined, subject: undefined },
    });
    expect(loadConfig({ BREVO_BASE_URL: 'http://127.0.0.1:9/v3/' }).delivery.brevo.baseUrl).toBe('http://127.0.0.1:9/v3');
  });

  it('refuses bad values with the variable named', () => {
    expect(issues({ SMTP_URL: 'mail.example.test' })).toEqual(['SMTP_URL']);
    expect(issues({ BREVO_BASE_URL: 'ftp://x' })).toEqual(['BREVO_BASE_URL']);
    expect(issues({ BREVO_SMS_SENDER: 'A-very-long-sender' })).toEqual(['BREVO_SMS_SENDER']);
    expect(issues({ VAPID_SUBJECT: 'ops@example.test' })).toEqual(['VAPID_SUBJECT']);
    expect(issues({ VAPID_PUBLIC_KEY: 'abc' })).toEqual(['VAPID_PRIVATE_KEY']);
    expect(issues({ VAPID_PRIVATE_KEY: 'abc' })).toEqual(['VAPID_PUBLIC_KEY']);
  });
});
