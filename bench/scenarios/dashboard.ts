/**
 * dashboard: how long the project dashboard (/dashboard) takes from navigation until its charts
 * are drawn, in headless Chromium, for a project with data; and the demo page (/) until the
 * editor is synced. A Storyloom server process; WRITERS real providers type WORDS words each
 * into demo/chapter-1 so the report, sessions and contributions are not empty. Each load uses
 * a fresh browser context (empty cache, new dev-token login), so it is a cold page load.
 * "charts shown" is the page's own `storyloom:charts-ready` performance mark (time since
 * navigation start); wall-clock from `page.goto` is reported too. Bare Hocuspocus serves no
 * pages, so there is no baseline column.
 */
import type { Browser } from 'playwright-core';
import { signToken } from '../../src/auth/tokens.js';
import { CHROMIUM_PATH, chromiumAvailable, ensureWebBuilt, launchChromium } from '../../tests/e2e/browser.js';
import { TEST_SECRET, connectClient, typeInto, type TestClient } from '../../tests/helpers/test-server.js';
import { FULL, header, table, writeResult } from '../lib/report.js';
import { startBenchServer } from '../lib/server-procs.js';
import { summarize } from '../lib/stats.js';

const WRITERS = 3;
const WORDS = 60;
const LOADS = FULL ? 30 : 10;
const TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function timeLoads(browser: Browser, url: string, ready: string, mark: string | null): Promise<{ wall: number[]; marked: number[] }> {
  const wall: number[] = [];
  const marked: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const t0 = performance.now();
    await page.goto(url);
    await page.waitForSelector(ready, { state: 'attached', timeout: TIMEOUT_MS });
    wall.push(performance.now() - t0);
    const at = mark ? await page.evaluate((m) => performance.getEntriesByName(m)[0]?.startTime ?? NaN, mark) : NaN;
    if (Number.isFinite(at)) marked.push(at);
    await context.close();
  }
  return { wall, marked };
}

export async function dashboard(): Promise<string> {
  if (!chromiumAvailable()) return `Skipped: no Chromium at ${CHROMIUM_PATH}.`;
  await ensureWebBuilt();
  // The pages log in with a dev token (GET /api/dev/token), which a server with AUTH_SECRET set
  // serves only when told to (the harness always sets one).
  const server = await startBenchServer('storyloom', { env: { DEV_TOKENS: 'true' } });
  const httpUrl = server.wsUrl.replace(/^ws:/, 'http:').replace(/\/collaboration$/, '');
  const clients: TestClient[] = [];
  let browser: Browser | undefined;
  try {
    // Some data: each writer types WORDS words into its own paragraph of the demo chapter.
    for (let i = 0; i < WRITERS; i++) {
      const token = await signToken(TEST_SECRET, { userId: `writer${i}`, name: `Writer ${i}`, projects: { demo: 'editor' } });
      const client = connectClient(server.wsUrl, 'demo/chapter-1', token);
      clients.push(client);
      await client.synced;
    }
    for (let w = 0; w < WORDS; w++) {
      clients.forEach((c, i) => typeInto(c.ydoc, ' word', i));
      await sleep(20);
    }
    const owner = await signToken(TEST_SECRET, { userId: 'owner', name: 'owner', projects: { demo: 'owner' } });
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
      const res = await fetch(`${httpUrl}/api/realtime/analytics/project/demo/writing`, { headers: { authorization: `Bearer ${owner}` } });
      const body = (await res.json()) as { writers?: { days: { wordsNet: number }[] }[] };
      const total = (body.writers ?? []).reduce((s, w) => s + w.days.reduce((x, d) => x + d.wordsNet, 0), 0);
      if (total >= WRITERS * WORDS) break;
      if (Date.now() > deadline) throw new Error(`the report shows ${total} of ${WRITERS * WORDS} words after ${TIMEOUT_MS} ms`);
      await sleep(200);
    }

    browser = await launchChromium();
    // One warm-up load each, so Chromium's own start-up is not in the first sample.
    await timeLoads(browser, `${httpUrl}/dashboard`, 'body[data-charts-ready="1"]', null);
    const dash = await timeLoads(browser, `${httpUrl}/dashboard`, 'body[data-charts-ready="1"]', 'storyloom:charts-ready');
    const demo = await timeLoads(browser, `${httpUrl}/?user=bench-reader&seed=0`, 'body[data-ready="1"]', null);
    const charts = summarize(dash.marked);
    const dashWall = summarize(dash.wall);
    const demoWall = summarize(demo.wall);
    await writeResult('dashboard', { writers: WRITERS, words: WORDS, loads: LOADS, chartsShownMs: charts, dashboardWallMs: dashWall, demoWallMs: demoWall });
    const na = 'n/a (bare serves no pages)';
    return [
      header(),
      `${WRITERS} writers with ${WORDS} words each in demo/chapter-1; ${LOADS} cold loads (fresh browser context each) in headless Chromium ` +
        `on the same machine. Charts shown = the page's performance mark after its first render (navigation start → charts in the DOM); ` +
        `wall = page.goto → ready selector, as seen by the driver. Target (dashboard charts shown < 1,000 ms, every load): ${charts.max < 1_000 ? 'met' : 'NOT met'}; the demo page is reported, not targeted.`,
      '',
      table([
        { label: 'dashboard: navigation → charts shown p50 (ms)', storyloom: charts.p50, bare: NaN, digits: 0, ratio: na },
        { label: 'dashboard: navigation → charts shown max (ms)', storyloom: charts.max, bare: NaN, digits: 0, ratio: na },
        { label: 'dashboard: wall p50 / max (ms)', storyloom: dashWall.p50, bare: NaN, digits: 0, ratio: `max ${dashWall.max.toFixed(0)} ms` },
        { label: 'demo page: wall to editor synced p50 (ms)', storyloom: demoWall.p50, bare: NaN, digits: 0, ratio: `max ${demoWall.max.toFixed(0)} ms` },
      ]),
    ].join('\n');
  } finally {
    await browser?.close();
    for (const c of clients) c.destroy();
    await server.cleanup();
  }
}
