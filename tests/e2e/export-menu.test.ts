import type { Browser, Page } from 'playwright-core';
import { strFromU8, unzipSync } from 'fflate';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { captureErrors, chromiumAvailable, ensureWebBuilt, launchChromium } from './browser.js';

/** The demo's export menu in real Chromium: each button downloads the open chapter in its format. */
describe.skipIf(!chromiumAvailable())('demo export menu in Chromium', () => {
  let t: TestServer;
  let browser: Browser;
  let page: Page;
  let errors: { take(): string[] };

  beforeAll(async () => {
    await ensureWebBuilt();
    t = await startTestServer({ DEV_TOKENS: 'true' });
    browser = await launchChromium();
    page = await (await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } })).newPage();
    errors = captureErrors(page, 'reader');
    await page.goto(`${t.httpUrl}/?user=alice&name=alice`);
    await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 30_000 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.cleanup();
  });

  const download = async (format: string) => {
    const [file] = await Promise.all([page.waitForEvent('download', { timeout: 20_000 }), page.click(`[data-action="export"][data-format="${format}"]`)]);
    return { name: file.suggestedFilename(), bytes: new Uint8Array(await readFile((await file.path())!)) };
  };

  it('downloads the seeded chapter as EPUB and Markdown with the server file names', async () => {
    const epub = await download('epub');
    expect(epub.name).toBe('chapter-1.epub');
    const entries = unzipSync(epub.bytes);
    expect(Object.keys(entries)[0]).toBe('mimetype');
    expect(strFromU8(entries['EPUB/chapter-001.xhtml']!)).toContain('It is a truth universally acknowledged');

    const md = await download('md');
    expect(md.name).toBe('chapter-1.md');
    expect(new TextDecoder().decode(md.bytes)).toContain('It is a truth universally acknowledged');
    await page.waitForSelector('.export-message:has-text("chapter-1.md")');
    expect(errors.take()).toEqual([]);
  });
});
