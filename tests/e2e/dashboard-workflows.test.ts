import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../client-sdk/src/index.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { SCREENSHOTS, captureErrors, chromiumAvailable, ensureWebBuilt, launchChromium } from './browser.js';

/**
 * The dashboard's Workflows tab in real Chromium against a real server (PGlite, in-process bus):
 * workflows registered over REST as the project's owner are listed; Run starts a run that the
 * page follows to `completed` through the automation.* events on the gateway (the page never
 * polls: a run started over REST, not from the page, shows up too); a step whose input template
 * does not resolve shows `failed` with the engine's error.
 */

/** A REST answer, read loosely (the SDK's types are checked elsewhere). */
type Json = Record<string, unknown> & { runId?: string; status?: string; steps?: { id: string; status: string; attempts: number; error?: string }[]; runs?: Json[] };

const eventually = (check: () => unknown | Promise<unknown>, timeout = 15_000) => vi.waitFor(check, { timeout, interval: 100 });

describe.skipIf(!chromiumAvailable())('dashboard Workflows tab in Chromium', () => {
  let t: TestServer;
  let browser: Browser;
  let page: Page;
  let errors: { take(): string[] };
  let owner: string;
  const ids: Record<string, string> = {};
  const requests: string[] = [];

  const rest = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${t.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${owner}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const register = async (definition: unknown) => {
    const res = await rest('POST', '/api/workflows/register', definition);
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const row = (name: string) => page.locator(`[data-testid="workflow-list"] tr[data-workflow-name="${name}"]`);
  const timeline = () => page.locator('[data-testid="run-timeline"]');
  const stepStatuses = () => timeline().locator('li[data-step]').evaluateAll((els) => els.map((e) => `${(e as HTMLElement).dataset.step}:${(e as HTMLElement).dataset.status}`));

  beforeAll(async () => {
    await ensureWebBuilt();
    await mkdir(SCREENSHOTS, { recursive: true });
    t = await startTestServer({ DEV_TOKENS: 'true' });
    owner = await t.token('olive', { demo: 'owner' });
    ids.noop = await register({
      name: 'Three no-ops',
      projectId: 'demo',
      trigger: { type: 'manual' },
      steps: [
        { id: 'first', action: 'noop', input: { n: 1 } },
        { id: 'second', action: 'noop', dependsOn: ['first'], input: { after: '{{steps.first.output.echo.n}}' } },
        { id: 'third', action: 'noop', dependsOn: ['second'] },
      ],
    });
    ids.failing = await register({
      name: 'Broken template',
      projectId: 'demo',
      trigger: { type: 'manual' },
      steps: [
        { id: 'ok', action: 'noop' },
        { id: 'bad', action: 'noop', dependsOn: ['ok'], input: { x: '{{input.missing}}' } },
      ],
    });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    errors = captureErrors(page, 'dashboard');
    // The REST reads the page makes: after the first load only runs named by an event are read.
    page.on('request', (r) => {
      if (r.url().includes('/api/workflows')) requests.push(`${r.method()} ${new URL(r.url()).pathname}`);
    });
    await page.goto(`${t.httpUrl}/dashboard`);
    await page.waitForSelector('body[data-charts-ready="1"]', { state: 'attached', timeout: 20_000 });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await t?.cleanup();
  });

  it('lists the project’s workflows with trigger, state and version in an accessible tab', async () => {
    const tab = page.getByRole('tab', { name: 'Workflows' });
    await tab.click();
    expect(await tab.getAttribute('aria-selected')).toBe('true');
    expect(await page.locator('#panel-workflows').isVisible()).toBe(true);
    expect(await page.locator('#panel-writing').isVisible()).toBe(false);
    await eventually(async () => expect(await row('Three no-ops').count()).toBe(1));
    expect(await row('Broken template').count()).toBe(1);
    expect(await row('Three no-ops').locator('td').allInnerTexts()).toEqual(['Three no-ops', 'manual', 'yes', 'v1', 'Run']);
    expect(await page.locator('[data-testid="workflow-announce"]').getAttribute('aria-live')).toBe('polite');
    expect(errors.take()).toEqual([]);
  });

  it('runs a workflow from the Run button and follows it to completed, live', async () => {
    await row('Three no-ops').getByRole('button', { name: 'Run' }).click();
    const runs = page.locator('[data-testid="workflow-runs"] tr[data-run-id]');
    await eventually(async () => expect(await runs.count()).toBe(1));
    await eventually(async () => {
      expect(await runs.first().getAttribute('data-status')).toBe('completed');
      expect(await timeline().getAttribute('data-status')).toBe('completed');
      expect(await stepStatuses()).toEqual(['first:completed', 'second:completed', 'third:completed']);
    });
    const runId = (await runs.first().getAttribute('data-run-id'))!;
    // The page shows what the server recorded.
    const recorded = (await rest('GET', `/api/workflows/runs/${runId}`)).body;
    expect(recorded.status).toBe('completed');
    expect(recorded.steps!.map((s) => s.attempts)).toEqual([1, 1, 1]);
    expect(await timeline().locator('li[data-step] .attempts').allInnerTexts()).toEqual(['1 attempt', '1 attempt', '1 attempt']);
    expect(await timeline().locator('li[data-step] .bar').count()).toBe(3);
    await eventually(async () => expect(await page.locator('[data-testid="workflow-announce"]').textContent()).toBe('Three no-ops: run completed'));

    // A run started elsewhere (REST, not this page) reaches the page only through the gateway.
    const before = requests.length;
    const started = await rest('POST', `/api/workflows/${ids.noop}/execute`, {});
    expect(started.status).toBe(202);
    const otherId = started.body.runId!;
    const other = page.locator(`[data-testid="workflow-runs"] tr[data-run-id="${otherId}"]`);
    await eventually(async () => expect(await other.getAttribute('data-status', { timeout: 1_000 })).toBe('completed'));
    // Only reads of that run, never of the list or another run (no polling), and at most one per
    // event of the run (triggered, three step_completed, completed); the debounce usually folds them.
    const reads = requests.slice(before);
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((r) => r === `GET /api/workflows/runs/${otherId}`)).toBe(true);
    expect(reads.length).toBeLessThanOrEqual(5);
    console.log(`[e2e] a run started over REST: ${reads.length} read(s) of it by the page, driven by automation.* events`);
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-workflows-completed.png') });
    expect(errors.take()).toEqual([]);
  }, 60_000);

  it('shows a failed step with its error', async () => {
    await row('Broken template').getByRole('button', { name: 'Run' }).click();
    await eventually(async () => {
      expect(await timeline().getAttribute('data-status')).toBe('failed');
      expect(await stepStatuses()).toEqual(['ok:completed', 'bad:failed']);
    });
    const error = await timeline().locator('li[data-step="bad"] [data-testid="step-error"]').innerText();
    const recorded = (await rest('GET', `/api/workflows/${ids.failing}/executions`)).body.runs![0]!;
    const bad = recorded.steps!.find((s) => s.id === 'bad')!;
    expect(bad.status).toBe('failed');
    expect(error).toBe(bad.error);
    expect(error).toContain('input.missing');
    expect(await page.locator('[data-testid="workflow-runs"] tr[data-run-id]').first().getAttribute('data-status')).toBe('failed');
    await eventually(async () => expect(await page.locator('[data-testid="workflow-announce"]').textContent()).toBe('Broken template: run failed'));
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-workflows-failed.png') });
    expect(errors.take()).toEqual([]);
  }, 60_000);

  it('follows a run driven through the SDK’s client.workflows: a new workflow, running, cancelled', async () => {
    const sdk = createClient({ url: t.httpUrl, token: owner });
    try {
      const { id } = await sdk.workflows.register({
        name: 'Slow one',
        projectId: 'demo',
        trigger: { type: 'manual' },
        steps: [
          { id: 'start', action: 'noop' },
          { id: 'wait', action: 'delay', dependsOn: ['start'], input: { ms: 60_000 } },
        ],
      });
      expect((await sdk.workflows.list('demo')).map((w) => w.name)).toEqual(expect.arrayContaining(['Three no-ops', 'Broken template', 'Slow one']));
      expect((await sdk.workflows.get(id)).version).toBe(1);
      const runId = await sdk.workflows.execute(id);
      // Registered after the page read its list: the run's first event makes the page read it again.
      await eventually(async () => expect(await row('Slow one').count()).toBe(1));
      await row('Slow one').getByRole('button', { name: 'Slow one' }).click();
      await eventually(async () => {
        expect(await timeline().getAttribute('data-run-id')).toBe(runId);
        expect(await stepStatuses()).toEqual(['start:completed', 'wait:running']);
      });
      expect((await sdk.workflows.run(runId)).status).toBe('running');

      // Cancel from the page.
      const runRow = page.locator(`[data-testid="workflow-runs"] tr[data-run-id="${runId}"]`);
      await runRow.getByRole('button', { name: 'Cancel' }).click();
      await eventually(async () => expect(await timeline().getAttribute('data-status')).toBe('cancelled'));
      expect((await sdk.workflows.run(runId)).status).toBe('cancelled');
      expect(await runRow.getByRole('button', { name: 'Cancel' }).count()).toBe(0);

      // Another run, cancelled through the SDK: the page hears of it over the gateway.
      const second = await sdk.workflows.execute(id);
      const secondRow = page.locator(`[data-testid="workflow-runs"] tr[data-run-id="${second}"]`);
      await eventually(async () => expect(await secondRow.getAttribute('data-status', { timeout: 1_000 })).toBe('running'));
      const cancelled = await sdk.workflows.cancel(second);
      expect(['cancelled', 'running']).toContain(cancelled.status);
      await eventually(async () => expect(await secondRow.getAttribute('data-status', { timeout: 1_000 })).toBe('cancelled'));
      expect((await sdk.workflows.executions(id)).map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
      expect((await sdk.workflows.stats('demo')).byStatus.cancelled).toBe(2);
      await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-workflows-cancelled.png') });
      expect(errors.take()).toEqual([]);
    } finally {
      sdk.destroy();
    }
  }, 60_000);
});
