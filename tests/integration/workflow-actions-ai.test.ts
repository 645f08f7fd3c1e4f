import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionError, type ActionContext, type ActionHandler } from '../../src/services/workflows/action-handlers.js';
import { createAiAction } from '../../src/services/workflows/actions/ai.js';
import type { Json } from '../../src/workflows/definition.js';

/**
 * `ai` against a local server speaking the OpenAI chat-completions API (path, Bearer key, model,
 * messages checked as the real API receives them), and the labelled extractive fallback.
 */

const ctx: ActionContext = { runId: 'r', workflowId: 'w', projectId: 'p', stepId: 'seo', attempt: 1, signal: new AbortController().signal };

async function invoke(handler: ActionHandler, input: unknown, context = ctx): Promise<Record<string, Json>> {
  const parsed = handler.spec.input.parse(input);
  const output = await handler.run(parsed as Json, context);
  expect(handler.spec.output!.safeParse(output).success).toBe(true);
  return output as Record<string, Json>;
}

const BOOK = `# The Lighthouse Keeper

Mara keeps the lighthouse on the northern cliffs. Every night the lighthouse lamp turns, and every night Mara writes to the sailors she has never met. The sailors answer with lights.

When the storm comes, the lighthouse goes dark, and Mara must climb the cliffs to reach the lamp before the ships reach the rocks.`;

describe('ai with an OpenAI-compatible server', () => {
  let server: Server;
  let base: string;
  const requests: { path: string; auth: string | undefined; body: { model: string; messages: { role: string; content: string }[]; max_tokens: number } }[] = [];
  let reply: { status: number; body: unknown } = { status: 200, body: {} };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        requests.push({ path: `${req.method} ${req.url}`, auth: req.headers.authorization, body: JSON.parse(raw) as (typeof requests)[number]['body'] });
        res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const completion = (content: string) => ({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    model: 'test-model',
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
    usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
  });

  it('asks the model for SEO metadata and returns it labelled as the model', async () => {
    const ai = createAiAction({ baseUrl: `${base}/`, apiKey: 'sk-test', model: 'test-model' });
    reply = { status: 200, body: completion('Here you go:\n```json\n{"title": "The Lighthouse Keeper", "description": "A keeper, a storm, a dark lamp.", "keywords": ["lighthouse", "storm", "sailors"]}\n```') };
    const out = await invoke(ai, { task: 'seo', text: BOOK, keywords: 3 });
    expect(out).toEqual({ source: 'model', model: 'test-model', title: 'The Lighthouse Keeper', description: 'A keeper, a storm, a dark lamp.', keywords: ['lighthouse', 'storm', 'sailors'] });
    const sent = requests.at(-1)!;
    expect(sent.path).toBe('POST /v1/chat/completions');
    expect(sent.auth).toBe('Bearer sk-test');
    expect(sent.body.model).toBe('test-model');
    expect(sent.body.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(sent.body.messages[0]!.content).toContain('"keywords"');
    expect(sent.body.messages[1]!.content).toContain('Mara keeps the lighthouse');
  });

  it('returns the text of a completion', async () => {
    const ai = createAiAction({ baseUrl: base, apiKey: undefined, model: 'test-model' });
    reply = { status: 200, body: completion('  A short blurb.  ') };
    expect(await invoke(ai, { task: 'complete', prompt: 'Write a blurb', text: BOOK })).toEqual({ source: 'model', model: 'test-model', text: 'A short blurb.' });
    // No key configured: no Authorization header at all.
    expect(requests.at(-1)!.auth).toBeUndefined();
  });

  it('5xx and an unusable answer are transient; 401 is permanent', async () => {
    const ai = createAiAction({ baseUrl: base, apiKey: 'bad', model: 'test-model' });
    const fail = async (input: unknown) => {
      const error = await invoke(ai, input).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ActionError);
      return error as ActionError;
    };
    reply = { status: 503, body: { error: { message: 'overloaded' } } };
    expect((await fail({ text: BOOK })).permanent).toBe(false);
    reply = { status: 401, body: { error: { message: 'Incorrect API key provided' } } };
    const unauthorized = await fail({ text: BOOK });
    expect(unauthorized.permanent).toBe(true);
    expect(unauthorized.message).toContain('401');
    reply = { status: 200, body: completion('I cannot help with that.') };
    expect((await fail({ text: BOOK })).permanent).toBe(false);
  });
});

describe('ai without AI_BASE_URL: the extractive fallback', () => {
  const ai = createAiAction({ baseUrl: undefined, apiKey: undefined, model: undefined });

  it('takes the title from the first heading, the description from the first sentences, keywords by frequency, and says it is a fallback', async () => {
    const out = await invoke(ai, { task: 'seo', text: BOOK, keywords: 4 });
    expect(out.source).toBe('fallback');
    expect(out.model).toBeNull();
    expect(out.title).toBe('The Lighthouse Keeper');
    // Whole sentences while they fit in 155 characters: the first two here.
    expect(out.description).toBe('Mara keeps the lighthouse on the northern cliffs. Every night the lighthouse lamp turns, and every night Mara writes to the sailors she has never met.');
    expect((out.description as string).length).toBeLessThanOrEqual(160);
    // lighthouse 4, mara 3, then cliffs, night and sailors twice each: the earlier first.
    expect(out.keywords).toEqual(['lighthouse', 'mara', 'cliffs', 'night']);
  });

  it('is deterministic and keeps a given title', async () => {
    const a = await invoke(ai, { task: 'seo', text: BOOK, title: 'Keeper' });
    const b = await invoke(ai, { task: 'seo', text: BOOK, title: 'Keeper' });
    expect(a).toEqual(b);
    expect(a.title).toBe('Keeper');
  });

  it('cuts a long first sentence at a word boundary when there is no heading', async () => {
    const out = await invoke(ai, { task: 'seo', text: 'It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife. However little known.' });
    expect(out.title).toBe('It is a truth universally acknowledged, that a single man…');
    expect(out.source).toBe('fallback');
  });
});
