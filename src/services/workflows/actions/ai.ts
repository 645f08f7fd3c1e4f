import { z } from 'zod';
import type { Json } from '../../../workflows/definition.js';
import { ActionError, type ActionHandler } from '../action-handlers.js';
import { readBounded } from './http.js';

/**
 * `ai`: an OpenAI-compatible chat completion (POST {AI_BASE_URL}/chat/completions with a Bearer
 * AI_API_KEY and AI_MODEL). Without AI_BASE_URL/AI_MODEL it answers with a deterministic
 * extractive fallback and says so (`source: "fallback"`): the workflow runs, and whoever reads
 * the output knows no model wrote it.
 *
 * Tasks: `seo` gives {title, description, keywords} for a text (the publication template's SEO
 * metadata); `complete` gives the model's `text` for a prompt.
 */

export interface AiConfig {
  baseUrl: string | undefined;
  apiKey: string | undefined;
  model: string | undefined;
  fetch?: typeof fetch;
}

/** Characters of the text sent to the model (a book's opening is enough for its metadata). */
export const AI_MAX_TEXT = 24_000;

const input = z.strictObject({
  task: z.enum(['seo', 'complete']).default('seo'),
  /** The text to describe (seo) or to add to the prompt (complete). */
  text: z.string().max(200_000).default(''),
  /** A known title (seo): the fallback keeps it, the model is told it. */
  title: z.string().trim().max(300).optional(),
  /** complete: what to ask; seo: extra instructions. */
  prompt: z.string().max(8000).optional(),
  system: z.string().max(8000).optional(),
  language: z.string().max(35).optional(),
  keywords: z.number().int().min(1).max(30).default(8),
  maxTokens: z.number().int().min(1).max(8000).default(600),
  temperature: z.number().min(0).max(2).default(0.2),
});

const output = z.strictObject({
  source: z.enum(['model', 'fallback']),
  model: z.string().nullable(),
  title: z.string().optional(),
  description: z.string().optional(),
  keywords: z.array(z.string()).optional(),
  text: z.string().optional(),
});

type Input = z.infer<typeof input>;

export function createAiAction(config: AiConfig): ActionHandler {
  const doFetch = config.fetch ?? fetch;
  const base = config.baseUrl?.replace(/\/+$/, '');
  const configured = base !== undefined && config.model !== undefined;
  return {
    spec: {
      name: 'ai',
      description: 'SEO metadata {title, description, keywords} (task seo) or text (task complete) from the OpenAI-compatible API at AI_BASE_URL; without it a labelled extractive fallback.',
      input: input.refine((v) => v.task !== 'complete' || v.prompt !== undefined, { message: 'task complete needs a prompt', path: ['prompt'] }),
      output,
    },
    async run(raw, ctx) {
      const args = input.parse(raw);
      if (!configured) return fallback(args) as Json;
      const messages = args.task === 'seo' ? seoMessages(args) : completeMessages(args);
      const url = `${base}/chat/completions`;
      let response: Response;
      try {
        response = await doFetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}) },
          body: JSON.stringify({ model: config.model, messages, max_tokens: args.maxTokens, temperature: args.temperature }),
          signal: ctx.signal,
        });
      } catch (error) {
        if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('aborted');
        throw new ActionError(`ai: ${new URL(url).host} failed: ${(error as Error).message}`, { permanent: false, cause: error });
      }
      const read = await readBounded(response, 2 * 1024 * 1024);
      const text = new TextDecoder().decode(read.bytes);
      if (response.status >= 400) {
        const transient = response.status >= 500 || response.status === 429 || response.status === 408;
        throw new ActionError(`ai: chat completions answered ${response.status}: ${text.slice(0, 300)}`, { permanent: !transient });
      }
      let content: string;
      try {
        const body = JSON.parse(text) as { choices?: { message?: { content?: unknown } }[]; model?: unknown };
        const value = body.choices?.[0]?.message?.content;
        if (typeof value !== 'string') throw new Error('no choices[0].message.content');
        content = value;
      } catch (error) {
        throw new ActionError(`ai: the chat completions answer is not usable: ${(error as Error).message}`, { permanent: false });
      }
      if (args.task === 'complete') return { source: 'model', model: config.model!, text: content.trim() };
      const seo = parseSeo(content, args.keywords);
      // A model answer that is not the JSON asked for: a retry may well get it right.
      if (seo === null) throw new ActionError(`ai: the model's answer is not {title, description, keywords}: ${content.slice(0, 200)}`, { permanent: false });
      return { source: 'model', model: config.model!, ...seo } satisfies z.infer<typeof output>;
    },
  };
}

function seoMessages(args: Input) {
  const system =
    args.system ??
    'You write metadata for a book listing and search engines. Answer with only a JSON object {"title": string (at most 70 characters), "description": string (at most 160 characters), "keywords": string[]} and nothing else.';
  const user = [
    args.title ? `Title: ${args.title}` : null,
    args.language ? `Language: ${args.language}` : null,
    `Keywords wanted: ${args.keywords}`,
    args.prompt ?? null,
    'Text:',
    args.text.slice(0, AI_MAX_TEXT),
  ].filter((line) => line !== null);
  return [
    { role: 'system', content: system },
    { role: 'user', content: user.join('\n') },
  ];
}

function completeMessages(args: Input) {
  return [
    ...(args.system ? [{ role: 'system', content: args.system }] : []),
    { role: 'user', content: args.text ? `${args.prompt}\n\n${args.text.slice(0, AI_MAX_TEXT)}` : args.prompt! },
  ];
}

/** The first JSON object in the answer (models like to wrap it in prose or ```json fences). */
export function parseSeo(content: string, keywords: number): { title: string; description: string; keywords: string[] } | null {
  const start = content.indexOf('{');
  const end = content.lastIndexOf('}');
  if (start < 0 || end <= start) return null;
  let value: unknown;
  try {
    value = JSON.parse(content.slice(start, end + 1));
  } catch {
    return null;
  }
  const v = value as { title?: unknown; description?: unknown; keywords?: unknown };
  if (typeof v.title !== 'string' || typeof v.description !== 'string') return null;
  const list = Array.isArray(v.keywords) ? v.keywords.filter((k): k is string => typeof k === 'string') : typeof v.keywords === 'string' ? v.keywords.split(',') : null;
  if (list === null) return null;
  return {
    title: clip(v.title.trim(), 120),
    description: clip(v.description.trim(), 320),
    keywords: list.map((k) => k.trim()).filter((k) => k !== '').slice(0, keywords),
  };
}

// ---- the extractive fallback: deterministic, no model ----

const STOPWORDS = new Set(
  (
    'a about above after again against all also am an and any are as at be because been before being below between both but by can could did do does doing down during each few for from further had has have having he her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours ourselves out over own same she should so some such than that the their theirs them themselves then there these they this those through to too under until up very was we were what when where which while who whom why will with would you your yours yourself yourselves ' +
    'said says one two may might must shall upon much many every never ever still yet even though although whose unto thee thou thy mr mrs miss sir lady like well know think see come came went go going get got make made say tell told'
  ).split(/\s+/),
);

export function fallback(args: Input): z.infer<typeof output> {
  const text = args.text.replace(/\r\n?/g, '\n');
  if (args.task === 'complete') return { source: 'fallback', model: null, text: firstWords(text, 60) };
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const heading = lines[0]?.replace(/^#+\s*/, '') ?? '';
  const headingIsTitle = heading !== '' && heading.length <= 100 && !/[.!?]$/.test(heading);
  const title = args.title ?? (headingIsTitle ? heading : clipWords(firstSentence(text), 60));
  const body = (headingIsTitle ? lines.slice(1) : lines).join(' ');
  return { source: 'fallback', model: null, title, description: clipWords(sentences(body, 155), 160), keywords: topWords(text, args.keywords) };
}

function firstWords(text: string, n: number): string {
  return text.split(/\s+/).filter((w) => w !== '').slice(0, n).join(' ');
}

function firstSentence(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const match = /^.*?[.!?](?=\s|$)/.exec(flat);
  return match ? match[0] : flat;
}

/** Whole sentences from the start while they fit in `max` characters (at least the first, clipped). */
function sentences(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const parts = flat.match(/[^.!?]+[.!?]+["'”’]?\s*|[^.!?]+$/g) ?? [];
  let out = '';
  for (const part of parts) {
    if ((out + part).trim().length > max) break;
    out += part;
  }
  return out.trim() || flat;
}

/** At most `max` characters, cut at a word boundary with an ellipsis. */
function clipWords(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:]+$/, '')}…`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max);
}

/** The most frequent words of 4+ letters that are not stopwords; ties go to the earlier word. */
export function topWords(text: string, n: number): string[] {
  const counts = new Map<string, { count: number; first: number }>();
  let index = 0;
  for (const match of text.toLowerCase().matchAll(/\p{L}[\p{L}\p{M}'’-]*\p{L}|\p{L}/gu)) {
    const word = match[0].replace(/['’]s$/, '');
    index++;
    if (word.length < 4 || STOPWORDS.has(word)) continue;
    const entry = counts.get(word);
    if (entry) entry.count++;
    else counts.set(word, { count: 1, first: index });
  }
  return [...counts.entries()]
    .sort((a, b) => b[1].count - a[1].count || a[1].first - b[1].first)
    .slice(0, n)
    .map(([word]) => word);
}
