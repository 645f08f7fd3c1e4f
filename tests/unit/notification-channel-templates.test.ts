import { describe, expect, it } from 'vitest';
import { messageLinks } from '../../src/delivery/links.js';
import { escapeHtml, renderEmail, renderPushPayload, renderSms } from '../../src/delivery/templates.js';
import type { OutboundMessage, OutboundNotification } from '../../src/services/notifications/channels/channel.js';
import { signUnsubscribeToken, verifyUnsubscribeToken } from '../../src/services/notifications/channels/unsubscribe.js';

const SECRET = 'templates-secret-0123456789abcdef0123';

function n(i: number, over: Partial<OutboundNotification> = {}): OutboundNotification {
  return { id: `n-${i}`, category: 'analytics', priority: 'low', title: `Title ${i}`, body: `Body ${i}`, createdAt: new Date(Date.UTC(2026, 2, 29) + i * 60_000).toISOString(), projectId: 'p', ...over };
}

function msg(notifications: OutboundNotification[], over: Partial<OutboundMessage> = {}): OutboundMessage {
  return { idempotencyKey: 'k', channel: 'email', kind: notifications.length > 1 ? 'digest' : 'single', recipient: { userId: 'u-1' }, notifications, ...over };
}

describe('unsubscribe tokens', () => {
  const token = signUnsubscribeToken(SECRET, { userId: 'u-1', category: 'writing', channel: 'email' });

  it('round-trips and refuses any change', () => {
    expect(verifyUnsubscribeToken(SECRET, token)).toEqual({ userId: 'u-1', category: 'writing', channel: 'email' });
    const [body, sig] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ u: 'u-2', c: 'writing', ch: 'email' })).toString('base64url');
    expect(verifyUnsubscribeToken(SECRET, `${forged}.${sig}`)).toBeUndefined();
    expect(verifyUnsubscribeToken(SECRET, `${body}.${sig}x`)).toBeUndefined();
    expect(verifyUnsubscribeToken(SECRET, `${body}`)).toBeUndefined();
    expect(verifyUnsubscribeToken(SECRET, `${token}.extra`)).toBeUndefined();
    expect(verifyUnsubscribeToken('other-secret-0123456789abcdef012345', token)).toBeUndefined();
  });

  it('scopes a digest that mixes categories to all of them', () => {
    const links = messageLinks('https://w.example/', msg([n(1, { category: 'writing' }), n(2)]), SECRET);
    const t = new URL(links.unsubscribe).searchParams.get('token')!;
    expect(verifyUnsubscribeToken(SECRET, t)).toEqual({ userId: 'u-1', category: '*', channel: 'email' });
    expect(links.inbox).toBe('https://w.example/#/notifications');
  });
});

describe('texts', () => {
  const links = messageLinks('https://w.example', msg([n(1)]), SECRET);

  it('escapes the five HTML specials', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('keeps header-borne text on one line', () => {
    const rendered = renderEmail(msg([n(1, { title: 'Line one\r\nBcc: victim@example.test' })]), links);
    expect(rendered.subject).toBe('[Storyloom] Line one Bcc: victim@example.test');
  });

  it('fits a single SMS in one GSM segment, in ASCII, with the link intact', () => {
    const long = renderSms(msg([n(1, { priority: 'critical', title: 'é'.repeat(10) + 'x'.repeat(300) })]), links);
    expect(long.length).toBeLessThanOrEqual(160);
    expect(long.endsWith(' https://w.example/#/notifications/n-1')).toBe(true);
    expect(long).toContain('...');
  });

  it('keeps a large push digest under the payload limit, newest entries kept, count exact', () => {
    const many = Array.from({ length: 200 }, (_, i) => n(i, { title: 'T'.repeat(100), body: 'B'.repeat(200) }));
    const payload = renderPushPayload(msg(many, { channel: 'push' }), links);
    expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(3000);
    const parsed = JSON.parse(payload) as { count: number; notifications: { id: string }[] };
    expect(parsed.count).toBe(200);
    expect(parsed.notifications.length).toBeGreaterThan(0);
    expect(parsed.notifications.at(-1)!.id).toBe('n-199');
  });
});
