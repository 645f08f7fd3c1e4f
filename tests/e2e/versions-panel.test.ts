import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { captureErrors, chromiumAvailable, ensureWebBuilt, launchChromium } from './browser.js';

/**
 * The demo's version panel in real Chromium: Alice saves a version, Bob and Alice change the
 * text, Alice restores the version and both editors show the saved text; restoring the
 * "Before restoring" version brings the changes back.
 */

const eventually = (check: () => unknown | Promise<unknown>, timeout = 20_000) => vi.waitFor(check, { timeout, interval: 100 });
const firstBlock = (page: Page) =>
  page.evaluate(() => (window as unknown as { storyloom: { editor: import('@tiptap/core').Editor } }).storyloom.editor.state.doc.child(0).textContent);

async function typeAtEnd(page: Page, text: string): Promise<void> {
  await page.evaluate(() => {
    const { editor } = (window as unknown as { storyloom: { editor: import('@tiptap/core').Editor } }).storyloom;
    editor.chain().focus().setTextSelection(editor.state.doc.child(0).nodeSize - 1).run();
  });
  await page.waitForFunction(() => {
    const { editor } = (window as unknown as { storyloom: { editor: import('@tiptap/core').Editor } }).storyloom;
    return editor.view.hasFocus();
  });
  await page.keyboard.type(text, { delay: 10 });
}

describe.skipIf(!chromiumAvailable())('demo version panel in Chromium', () => {
  let t: TestServer;
  let browser: Browser;
  const pages: { page: Page; errors: { take(): string[] } }[] = [];

  beforeAll(async () => {
    await ensureWebBuilt();
    t = await startTestServer({ DEV_TOKENS: 'true' });
    browser = await launchChromium();
    for (const user of ['alice', 'bob']) {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
      page.on('dialog', (dialog) => void dialog.accept());
      const errors = captureErrors(page, user);
      await page.goto(`${t.httpUrl}/?user=${user}&name=${user}`);
      await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 30_000 });
      pages.push({ page, errors });
    }
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.cleanup();
  });

  it('saves, restores for every writer at once, and undoes the restore', async () => {
    const [alice, bob] = [pages[0]!.page, pages[1]!.page];
    await eventually(async () => expect(await firstBlock(alice)).toMatch(/a wife\.$/));
    const saved = await firstBlock(alice);

    await alice.fill('[data-field="version-name"]', 'Opening as seeded');
    await alice.click('[data-action="save-version"]');
    await eventually(async () => expect(await alice.locator('.version strong').allTextContents()).toContain('Opening as seeded'));

    await typeAtEnd(bob, ' Bob changed this.');
    await eventually(async () => expect(await firstBlock(alice)).toBe(`${saved} Bob changed this.`));

    // Restore the saved version (the newest is still it: the list is refreshed on save).
    await alice.locator('.version', { hasText: 'Opening as seeded' }).locator('[data-action="restore-version"]').click();
    await eventually(async () => {
      expect(await firstBlock(alice)).toBe(saved);
      expect(await firstBlock(bob)).toBe(saved);
    });
    await eventually(async () => expect((await alice.locator('.version strong').allTextContents())[0]).toMatch(/^Before restoring Opening as seeded/));

    // View is read-only HTML in a sandboxed frame.
    await alice.locator('.version').first().locator('[data-action="view-version"]').click();
    await eventually(async () => expect(await alice.locator('.version-view iframe').getAttribute('srcdoc')).toContain('Bob changed this.'));

    // Undo: restore the version made before the restore.
    await alice.locator('.version').first().locator('[data-action="restore-version"]').click();
    await eventually(async () => {
      expect(await firstBlock(alice)).toBe(`${saved} Bob changed this.`);
      expect(await firstBlock(bob)).toBe(`${saved} Bob changed this.`);
    });
    expect([...pages[0]!.errors.take(), ...pages[1]!.errors.take()]).toEqual([]);
  });
});
