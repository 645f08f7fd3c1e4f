import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { SCREENSHOTS, captureErrors, chromiumAvailable, ensureWebBuilt, launchChromium } from './browser.js';

/**
 * The demo's inbox and notification preferences in real Chromium against a real server in this
 * process: notifications sent through REST arrive live on the badge, mark read sticks across a
 * reload (the inbox is read from REST), and the preferences panel saves through the SDK.
 */

const eventually = (check: () => unknown | Promise<unknown>, timeout = 15_000) => vi.waitFor(check, { timeout, interval: 100 });

interface Session {
  token: string;
  projectId: string;
  user: { id: string };
}

const badge = (page: Page) => page.locator('[data-testid="inbox-badge"]').getAttribute('data-count');
const items = (page: Page) =>
  page.locator('[data-testid="inbox"] li.inbox-item').evaluateAll((els) => els.map((e) => ({ title: e.querySelector('strong')?.textContent, unread: (e as HTMLElement).dataset.unread })));

describe.skipIf(!chromiumAvailable())('demo inbox and notification preferences in Chromium', () => {
  let t: TestServer;
  let browser: Browser;
  let page: Page;
  let errors: { take(): string[] };
  let session: Session;

  const api = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${t.httpUrl}/api/realtime/notifications${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const ready = async () => {
    await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 20_000 });
  };

  beforeAll(async () => {
    await ensureWebBuilt();
    await mkdir(SCREENSHOTS, { recursive: true });
    t = await startTestServer({ DEV_TOKENS: 'true' });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    page = await context.newPage();
    errors = captureErrors(page, 'inbox');
    await page.goto(`${t.httpUrl}/?user=ines&name=Ines`);
    await ready();
    session = await page.evaluate(() => (window as unknown as { storyloom: { session: Session } }).storyloom.session);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await t?.cleanup();
  });

  it('shows two notifications sent through REST live on the badge; mark read sticks across a reload, unread first', async () => {
    await eventually(async () => expect(await badge(page)).toBe('0'));
    const admin = await t.token('ops', {}, { admin: true });
    // Sent only once the page is subscribed: with no reload and no polling, only the push can move the badge.
    await page.waitForSelector('[data-testid="inbox"][data-live="1"]', { state: 'attached' });
    const send = (title: string) => api(admin, 'POST', '/send', { userId: session.user.id, projectId: session.projectId, category: 'system', priority: 'medium', title, body: `${title} body` });
    expect((await send('First notice')).status).toBe(201);
    expect((await send('Second notice')).status).toBe(201);
    await eventually(async () => expect(await badge(page)).toBe('2'));
    expect(await page.locator('[data-testid="inbox-badge"]').textContent()).toContain('2 unread');

    await page.getByRole('button', { name: 'Mark “First notice” read' }).click();
    await eventually(async () => expect(await badge(page)).toBe('1'));

    await page.reload();
    await ready();
    await eventually(async () => expect(await badge(page)).toBe('1'));
    await eventually(async () =>
      expect(await items(page)).toEqual([
        { title: 'Second notice', unread: 'true' },
        { title: 'First notice', unread: 'false' },
      ]),
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'notifications-inbox.png') });

    await page.getByRole('button', { name: 'Mark all read' }).click();
    await eventually(async () => expect(await badge(page)).toBe('0'));
    expect((await api(session.token, 'GET', '?unread=true')).body.unreadCount).toBe(0);
    expect(errors.take()).toEqual([]);
  });

  it('saves quiet hours from the panel; a reload shows the saved values and GET preferences agrees', async () => {
    const panel = page.locator('[data-testid="notification-preferences"]');
    await page.getByText('Notification preferences', { exact: true }).click();
    await eventually(async () => expect(await panel.getAttribute('data-loaded')).toBe('1'));
    await expect.poll(() => panel.locator('[data-testid="channel-status"]').textContent()).toContain('email: not configured');
    expect(await panel.locator('[data-channel="email"]').textContent()).toContain('SMTP_URL');

    await panel.getByLabel('Quiet hours on', { exact: true }).check();
    await panel.getByLabel('From', { exact: true }).fill('21:30');
    await panel.getByLabel('Until', { exact: true }).fill('07:15');
    await panel.getByLabel('Time zone', { exact: true }).fill('America/New_York');
    await panel.getByLabel('Digest for publishing').selectOption('weekly');
    await panel.getByLabel('collaboration high: sms').check();
    await panel.getByRole('button', { name: 'Save preferences' }).click();
    await expect.poll(() => panel.getByRole('status').textContent()).toBe('Saved.');

    await page.reload();
    await ready();
    await page.getByText('Notification preferences', { exact: true }).click();
    await eventually(async () => expect(await panel.getAttribute('data-loaded')).toBe('1'));
    expect(await panel.getByLabel('From', { exact: true }).inputValue()).toBe('21:30');
    expect(await panel.getByLabel('Until', { exact: true }).inputValue()).toBe('07:15');
    expect(await panel.getByLabel('Time zone', { exact: true }).inputValue()).toBe('America/New_York');
    expect(await panel.getByLabel('Digest for publishing').inputValue()).toBe('weekly');
    expect(await panel.getByLabel('collaboration high: sms').isChecked()).toBe(true);

    const prefs = (await api(session.token, 'GET', '/preferences')).body as { quietHours: unknown; digest: Record<string, string>; channels: Record<string, Record<string, string[]>> };
    expect(prefs.quietHours).toEqual({ start: '21:30', end: '07:15', timeZone: 'America/New_York' });
    expect(prefs.digest.publishing).toBe('weekly');
    expect(prefs.channels.collaboration!.high).toEqual(expect.arrayContaining(['in_app', 'email', 'sms']));
    await page.screenshot({ path: join(SCREENSHOTS, 'notifications-preferences.png') });
    expect(errors.take()).toEqual([]);
  });
});
