import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { createActionCatalog } from '../../src/workflows/actions.js';
import { cronTimesBetween, nextCronTime } from '../../src/workflows/cron.js';
import { validateDefinition } from '../../src/workflows/validate.js';

const catalog = createActionCatalog([
  { name: 'http', description: 'fetch', input: z.strictObject({ url: z.string().url(), method: z.enum(['GET', 'POST']).default('GET') }) },
  { name: 'notify', description: 'notify', input: z.strictObject({ to: z.array(z.string()).min(1), title: z.string().max(100) }) },
]);
const EVENTS = ['publishing.status_changed', 'writing.milestone_reached'];

const ok = {
  name: 'Publication pipeline',
  projectId: 'novel-1',
  trigger: { type: 'event', event: 'publishing.status_changed', condition: { '==': [{ var: 'event.payload.to' }, 'ready_for_review'] } },
  steps: [
    { id: 'fetch', action: 'http', input: { url: 'https://example.org/x' } },
    { id: 'tell', action: 'notify', dependsOn: ['fetch'], input: { to: ['{{trigger.event.actor}}'], title: 'Got {{steps.fetch.output.status}}' } },
  ],
};

describe('workflow definitions: registration checks', () => {
  it('accepts a valid definition', () => {
    const result = validateDefinition(ok, catalog, { eventTypes: EVENTS });
    expect(result).toMatchObject({ ok: true, definition: { name: 'Publication pipeline' } });
  });

  it('lists every problem at once, each with its path', () => {
    const result = validateDefinition(
      {
        name: 'Broken',
        projectId: 'novel-1',
        trigger: { type: 'cron', cron: '61 * * * *', timeZone: 'Europe/Berlin' },
        steps: [
          { id: 'a', action: 'http', dependsOn: ['c'], input: { url: 'not a url' } },
          { id: 'b', action: 'teleport', dependsOn: ['a', 'ghost'] },
          { id: 'c', action: 'notify', dependsOn: ['b'], input: { to: [], title: '{{steps.zed.output}}' } },
          { id: 'd', action: 'delay', dependsOn: ['d'], input: { ms: -5 } },
        ],
      },
      catalog,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const byPath = Object.fromEntries(result.problems.map((p) => [p.path, p.message]));
    expect(byPath['trigger.cron']).toMatch(/minute/i);
    expect(byPath['steps[0].input.url']).toBeDefined();
    expect(byPath['steps[1].action']).toMatch(/unknown action "teleport"/);
    expect(byPath['steps[1].dependsOn[1]']).toMatch(/unknown step "ghost"/);
    expect(byPath['steps[2].input.to']).toBeDefined();
    expect(byPath['steps[3].dependsOn[0]']).toMatch(/depends on itself/);
    expect(byPath['steps[3].input.ms']).toBeDefined();
    expect(result.problems.some((p) => p.path === 'steps' && /cycle: (a|b|c) → .* → \1/.test(p.message))).toBe(true);
  });

  it('refuses a bad time zone, an unknown event, a condition that does not evaluate, and templates outside the step’s ancestry', () => {
    const zone = validateDefinition({ ...ok, trigger: { type: 'cron', cron: '0 20 * * *', timeZone: 'Mars/Olympus' } }, catalog);
    expect(!zone.ok && zone.problems).toEqual([{ path: 'trigger.timeZone', message: expect.stringContaining('unknown time zone') }]);
    const event = validateDefinition({ ...ok, trigger: { type: 'event', event: 'nope.nothing' } }, catalog, { eventTypes: EVENTS });
    expect(!event.ok && event.problems[0]!.path).toBe('trigger.event');
    const logic = validateDefinition({ ...ok, trigger: { type: 'event', event: 'writing.milestone_reached', condition: { teleport: [1] } } }, catalog);
    expect(!logic.ok && logic.problems[0]).toMatchObject({ path: 'trigger.condition', message: expect.stringContaining('does not evaluate') });
    const logged = validateDefinition({ ...ok, trigger: { type: 'event', event: 'writing.milestone_reached', condition: { log: 'x' } } }, catalog);
    expect(!logged.ok && logged.problems[0]!.message).toContain('"log" is not allowed');
    const sibling = validateDefinition(
      { ...ok, steps: [ok.steps[0], { id: 'other', action: 'notify', input: { to: ['x'], title: '{{steps.fetch.output.status}}' } }] },
      catalog,
    );
    expect(!sibling.ok && sibling.problems[0]).toMatchObject({ path: 'steps[1].input', message: expect.stringContaining('not among the steps') });
  });

  it('leaves templated values to run time but still checks the literal ones', () => {
    const result = validateDefinition({ ...ok, steps: [{ id: 'a', action: 'http', input: { url: '{{input.url}}', method: 'DELETE' } }] }, catalog);
    expect(!result.ok && result.problems.map((p) => p.path)).toEqual(['steps[0].input.method']);
  });

  it('lets a loop keep {{item}} and {{index}} for itself, but only in a loop', () => {
    const loops = createActionCatalog([
      { name: 'loop', description: 'loop', input: z.strictObject({ items: z.array(z.unknown()), action: z.string(), input: z.record(z.string(), z.unknown()) }) },
      { name: 'notify', description: 'notify', input: z.strictObject({ to: z.array(z.string()).min(1), title: z.string().max(100) }) },
    ]);
    const steps = [
      { id: 'list', action: 'noop-ish', input: {} },
      { id: 'each', action: 'loop', dependsOn: ['list'], input: { items: '{{steps.list.output.users}}', action: 'notify', input: { to: ['{{item.id}}'], title: 'No. {{index}}' } } },
    ];
    const ok = validateDefinition({ name: 'Loop', projectId: 'p', trigger: { type: 'manual' }, steps: [{ ...steps[0]!, action: 'notify', input: { to: ['x'], title: 't' } }, steps[1]!] }, loops);
    expect(ok.ok).toBe(true);
    const outside = validateDefinition({ name: 'Loop', projectId: 'p', trigger: { type: 'manual' }, steps: [{ id: 'n', action: 'notify', input: { to: ['{{item.id}}'], title: 't' } }] }, loops);
    expect(!outside.ok && outside.problems[0]!.message).toContain('a template starts with trigger, input, steps or run');
  });

  it('refuses a shape that is not a definition, with zod paths', () => {
    const result = validateDefinition({ name: '', projectId: 'bad id!', trigger: { type: 'sometimes' }, steps: [] }, catalog);
    expect(!result.ok && result.problems.map((p) => p.path).sort()).toEqual(['name', 'projectId', 'steps', 'trigger.type'].sort());
  });
});

describe('cron triggers at the 2026 DST switches', () => {
  const iso = (ms: number) => new Date(ms).toISOString();
  const between = (cron: string, zone: string, from: string, to: string) => cronTimesBetween(cron, zone, Date.parse(from), Date.parse(to)).map(iso);

  it('Europe/Berlin: 20:00 stays 20:00 local across both switches', () => {
    expect(between('0 20 * * *', 'Europe/Berlin', '2026-03-28T00:00Z', '2026-03-30T00:00Z')).toEqual(['2026-03-28T19:00:00.000Z', '2026-03-29T18:00:00.000Z']);
    expect(between('0 20 * * *', 'Europe/Berlin', '2026-10-24T00:00Z', '2026-10-26T00:00Z')).toEqual(['2026-10-24T18:00:00.000Z', '2026-10-25T19:00:00.000Z']);
  });

  it('a wall-clock time the spring switch skips fires once, at the first instant after it; one the autumn switch repeats fires once', () => {
    // Berlin 2026-03-29: 02:00 -> 03:00, so 02:30 does not exist; fires at 03:00 CEST (01:00Z).
    expect(between('30 2 * * *', 'Europe/Berlin', '2026-03-28T12:00Z', '2026-03-29T12:00Z')).toEqual(['2026-03-29T01:00:00.000Z']);
    // Berlin 2026-10-25: 03:00 -> 02:00, 02:30 happens twice; fires once (the first, CEST).
    expect(between('30 2 * * *', 'Europe/Berlin', '2026-10-24T12:00Z', '2026-10-25T12:00Z')).toEqual(['2026-10-25T00:30:00.000Z']);
    // New York 2026-03-08 (02:00 -> 03:00) and 2026-11-01 (02:00 -> 01:00).
    expect(between('30 2 * * *', 'America/New_York', '2026-03-07T12:00Z', '2026-03-08T12:00Z')).toEqual(['2026-03-08T07:00:00.000Z']);
    expect(between('30 1 * * *', 'America/New_York', '2026-10-31T12:00Z', '2026-11-01T12:00Z')).toEqual(['2026-11-01T05:30:00.000Z']);
  });

  it('Monday 09:00 weekly digest in New York, and the next firing strictly after an instant', () => {
    expect(between('0 9 * * 1', 'America/New_York', '2026-03-01T00:00Z', '2026-03-17T00:00Z')).toEqual(['2026-03-02T14:00:00.000Z', '2026-03-09T13:00:00.000Z', '2026-03-16T13:00:00.000Z']);
    const at = Date.parse('2026-03-09T13:00:00Z');
    expect(iso(nextCronTime('0 9 * * 1', 'America/New_York', at)!)).toBe('2026-03-16T13:00:00.000Z');
  });
});
