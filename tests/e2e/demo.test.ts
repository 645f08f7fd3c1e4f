import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { SCREENSHOTS, captureErrors, chromiumAvailable, ensureWebBuilt, launchChromium } from './browser.js';

/**
 * The demo web app and dashboard in real Chromium against a real server in this process: two
 * writers type into demo/chapter-1, see each other's carets and the conflict banner, the
 * dashboard shows their words, and the page survives a server restart.
 */

const eventually = (check: () => unknown | Promise<unknown>, timeout = 15_000) => vi.waitFor(check, { timeout, interval: 100 });

interface Writer {
  context: BrowserContext;
  page: Page;
  errors: { take(): string[] };
}

/**
 * Puts the caret at the end of top-level block `index` and focuses the editor, and returns only
 * once the editor really has the focus. TipTap's `focus()` command focuses in a
 * requestAnimationFrame when the editor is not focused yet; keys typed before that frame go to
 * <body> and are lost (a leading space vanished that way: ' Bob wrote this.' became
 * 'answer.Bob wrote this.' before the server restart ever happened).
 */
async function caretToEnd(page: Page, index: number): Promise<void> {
  await page.evaluate((i) => {
    const { editor } = (window as unknown as { storyloom: { editor: import('@tiptap/core').Editor } }).storyloom;
    let pos = -1;
    editor.state.doc.forEach((node, offset, idx) => {
      if (idx === i) pos = offset + node.nodeSize - 1;
    });
    editor.chain().focus().setTextSelection(pos).run();
  }, index);
  await page.waitForFunction(() => {
    const { editor } = (window as unknown as { storyloom: { editor: import('@tiptap/core').Editor } }).storyloom;
    return editor.view.hasFocus() && document.activeElement === editor.view.dom;
  });
}

/** The text of each top-level block, to assert exact contents (every space included). */
const blocksOf = (page: Page) =>
  page.evaluate(() => {
    const { editor } = (window as unknown as { storyloom: { editor: import('@tiptap/core').Editor } }).storyloom;
    const blocks: string[] = [];
    editor.state.doc.forEach((node) => blocks.push(node.textContent));
    return blocks;
  });
const textOf = (page: Page) => page.evaluate(() => (window as unknown as { storyloom: { editor: { getText(): string } } }).storyloom.editor.getText());
const blockCount = (page: Page) => page.evaluate(() => (window as unknown as { storyloom: { editor: { state: { doc: { childCount: number } } } } }).storyloom.editor.state.doc.childCount);
const bannerShown = (page: Page) => page.locator('[data-testid="conflict-banner"]').isVisible();
const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });

describe.skipIf(!chromiumAvailable())('demo web app in Chromium', () => {
  let t: TestServer;
  let restarted: TestServer | undefined;
  let browser: Browser;
  let alice: Writer;
  let bob: Writer;
  let dashboard: Writer | undefined;

  async function open(path: string, label: string, ready: string): Promise<Writer & { loadMs: number }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    const errors = captureErrors(page, label);
    const t0 = performance.now();
    await page.goto(`${t.httpUrl}${path}`);
    await page.waitForSelector(ready, { state: 'attached', timeout: 20_000 });
    return { context, page, errors, loadMs: performance.now() - t0 };
  }

  beforeAll(async () => {
    await ensureWebBuilt();
    await mkdir(SCREENSHOTS, { recursive: true });
    t = await startTestServer({ DEV_TOKENS: 'true' });
    browser = await launchChromium();
    alice = await open('/?user=alice&name=Alice', 'alice', 'body[data-ready="1"]');
    // The server seeded the chapter at start-up (a server-side edit, credited to no writer).
    await eventually(async () => expect(await blockCount(alice.page)).toBeGreaterThanOrEqual(6));
    bob = await open('/?user=bob&name=Bob', 'bob', 'body[data-ready="1"]');
    await eventually(async () => expect(await blockCount(bob.page)).toBeGreaterThanOrEqual(6));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await restarted?.close();
    await t?.cleanup();
    if (restarted) await rm(restarted.dataDir, { recursive: true, force: true });
  });

  it('loads without console errors and lists both writers in their colours', async () => {
    for (const w of [alice, bob]) {
      await eventually(async () => expect(await w.page.locator('[data-testid="presence"] li').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.user))).toEqual(expect.arrayContaining(['alice', 'bob'])));
      await expect.poll(() => w.page.locator('[data-testid="connection-status"]').getAttribute('data-state')).toBe('connected');
    }
    const color = await alice.page.locator('[data-testid="presence"] li[data-user="bob"] .name').evaluate((e) => getComputedStyle(e).color);
    expect(color).not.toBe('rgb(0, 0, 0)');
    expect([...alice.errors.take(), ...bob.errors.take()]).toEqual([]);
  });

  it('converges the text and shows each writer the other one’s caret', async () => {
    await caretToEnd(alice.page, 0);
    await alice.page.keyboard.type(' Alice was here.', { delay: 15 });
    await caretToEnd(bob.page, 5);
    await bob.page.keyboard.type(' Bob wrote this.', { delay: 15 });
    await eventually(async () => {
      const [a, b] = [await textOf(alice.page), await textOf(bob.page)];
      expect(a).toBe(b);
      expect(a).toContain('Alice was here.');
      expect(a).toContain('Bob wrote this.');
    });
    // Exactly what was typed, leading spaces included (a lost keystroke must fail here).
    const blocks = await blocksOf(alice.page);
    expect(blocks[0]).toMatch(/ a wife\. Alice was here\.$/);
    expect(blocks[5]).toBe('Mr. Bennet made no answer. Bob wrote this.');
    await eventually(async () => expect(await alice.page.locator('.collaboration-carets__caret').allTextContents()).toContain('Bob'));
    await eventually(async () => expect(await bob.page.locator('.collaboration-carets__caret').allTextContents()).toContain('Alice'));
    expect([...alice.errors.take(), ...bob.errors.take()]).toEqual([]);
  });

  it('warns both writers in the same paragraph and clears once one moves two paragraphs away', async () => {
    await caretToEnd(alice.page, 1);
    await caretToEnd(bob.page, 1);
    // Both active (typing) in paragraph 2: a high warning for the pair.
    await eventually(async () => {
      await alice.page.keyboard.type(' a', { delay: 10 });
      await bob.page.keyboard.type(' b', { delay: 10 });
      expect(await bannerShown(alice.page)).toBe(true);
      expect(await bannerShown(bob.page)).toBe(true);
    }, 15_000);
    await expect.poll(() => alice.page.locator('[data-testid="conflict-banner"]').textContent()).toContain('Bob');
    expect(await alice.page.locator('[data-testid="conflict-banner"]').getAttribute('data-severity')).toBe('high');
    await shot(alice.page, 'alice-conflict');
    await shot(bob.page, 'bob-conflict');

    // Bob moves to paragraph 5 and writes there: the banner clears within 5 s of parting.
    await caretToEnd(bob.page, 4);
    await bob.page.keyboard.type(' b', { delay: 10 });
    const partedAt = performance.now();
    await eventually(async () => {
      await alice.page.keyboard.type('a', { delay: 10 });
      await bob.page.keyboard.type('b', { delay: 10 });
      expect(await bannerShown(alice.page)).toBe(false);
      expect(await bannerShown(bob.page)).toBe(false);
    }, 5_000);
    console.log(`[e2e] the banner cleared ${(performance.now() - partedAt).toFixed(0)} ms after the writers parted`);
    await shot(alice.page, 'alice-cleared');
    expect([...alice.errors.take(), ...bob.errors.take()]).toEqual([]);
  }, 60_000);

  it('shows the writing panel and the dashboard with each writer’s words, live', async () => {
    await eventually(async () => expect(Number(await bob.page.locator('[data-testid="writing-panel"]').getAttribute('data-words-today'))).toBeGreaterThan(0));
    const d = await open('/dashboard', 'dashboard', 'body[data-charts-ready="1"]');
    dashboard = d;
    const wordsOf = async (user: string) => Number(await d.page.locator(`[data-testid="chart-words-per-day"] [data-writer="${user}"]`).getAttribute('data-words', { timeout: 1_000 }));

    // The same figures as the REST report (owner view), for both writers.
    const owner = await t.token('owner', { demo: 'owner' });
    const report = async () => {
      const res = await fetch(`${t.httpUrl}/api/realtime/analytics/project/demo/writing`, { headers: { authorization: `Bearer ${owner}` } });
      const body = (await res.json()) as { writers: { userId: string; days: { wordsNet: number }[] }[] };
      return (user: string) => body.writers.find((w) => w.userId === user)?.days.reduce((s, x) => s + x.wordsNet, 0) ?? 0;
    };
    await eventually(async () => {
      const words = await report();
      expect(words('bob')).toBeGreaterThan(0);
      expect(await wordsOf('alice')).toBe(words('alice'));
      expect(await wordsOf('bob')).toBe(words('bob'));
    });

    // New words reach the open dashboard through the live push, without a reload.
    const before = await wordsOf('bob');
    await caretToEnd(bob.page, 4);
    await bob.page.keyboard.type(' Five more words right here.', { delay: 15 });
    await eventually(async () => expect(await wordsOf('bob')).toBeGreaterThanOrEqual(before + 5), 15_000);
    for (const id of ['chart-words-per-day', 'chart-sessions', 'chart-contributions', 'chart-conflicts']) {
      expect(await d.page.locator(`[data-testid="${id}"]`).isVisible()).toBe(true);
    }
    await eventually(async () => expect(await d.page.locator('[data-testid="chart-contributions"] svg').count()).toBe(1));
    await shot(d.page, 'dashboard');
    await shot(bob.page, 'bob-writing');
    expect(d.errors.take()).toEqual([]);
    console.log(`[e2e] dashboard charts shown ${d.loadMs.toFixed(0)} ms after navigation`);
  }, 60_000);

  it('tells the writer when the server is down and recovers when it is back', async () => {
    expect([...alice.errors.take(), ...bob.errors.take()]).toEqual([]);
    const status = alice.page.locator('[data-testid="connection-status"]');
    // What both writers have before the server goes away; afterwards it must be exactly this
    // plus what was typed offline, in both browsers (equal to each other is not enough).
    await eventually(async () => expect(await blocksOf(bob.page)).toEqual(await blocksOf(alice.page)));
    const expected = await blocksOf(alice.page);
    await t.close();
    await eventually(async () => expect(await status.textContent()).toContain('Can’t reach the server — retrying…'));
    expect(await status.getAttribute('data-state')).toBe('offline');
    await shot(alice.page, 'offline');
    // Typing while offline stays in the page and is sent on reconnect.
    await caretToEnd(alice.page, 3);
    await alice.page.keyboard.type(' Written offline.', { delay: 10 });
    expected[3] += ' Written offline.';
    expect(await blocksOf(alice.page)).toEqual(expected);

    restarted = await startTestServer({ PORT: String(t.port), DATA_DIR: t.dataDir, DEV_TOKENS: 'true' });
    await eventually(async () => expect(await status.getAttribute('data-state')).toBe('connected'), 45_000);
    await eventually(async () => expect(await textOf(bob.page)).toContain('Written offline.'), 45_000);
    await eventually(async () => expect(await blocksOf(bob.page)).toEqual(expected));
    expect(await blocksOf(alice.page)).toEqual(expected);
    await shot(alice.page, 'recovered');
    // While the server was away the browser logs failed connection attempts; nothing else.
    const unexpected = [...alice.errors.take(), ...bob.errors.take(), ...(dashboard?.errors.take() ?? [])].filter(
      (e) => !/WebSocket connection to .* failed|Failed to load resource|ERR_CONNECTION_REFUSED|Failed to fetch/.test(e),
    );
    expect(unexpected).toEqual([]);
  }, 120_000);
});
