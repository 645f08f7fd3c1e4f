/**
 * What counts as a word in prose. The rule (documented for writers in docs/writing-analytics.md):
 *
 * - A word is a run of letters, combining marks and digits (any script: `\p{L}\p{M}\p{N}`).
 * - Inside a word, one apostrophe (' ’ ʼ), hyphen (- ‐ ‑) or full stop joins two runs: "don't",
 *   "isn’t", "well-known", "e.g", "3.14" are one word each. A comma joins two digit runs only:
 *   "1,000" is one word, "yes,no" is two. Two joiners in a row ("--", "...") separate words.
 * - Han, Hiragana and Katakana letters count one word each: those scripts put no spaces between
 *   words, and a per-character count is the usual convention for them.
 * - Everything else (spaces, punctuation, dashes —, emoji, symbols) separates words and is not a word.
 *
 * The property the incremental index relies on: whitespace never belongs to a word and always
 * ends one, so the count of `a + b` is `count(a) + count(b)` whenever `a` ends or `b` starts with
 * whitespace. Every change to this rule must keep that property (a test checks it).
 */

// Built with `new RegExp` because the `v` flag (set operations) is ES2024 and tsconfig targets
// ES2023; Node 22's V8 supports it.
const CJK = String.raw`[[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}]&&[\p{L}\p{N}]]`;
const LETTER = String.raw`[[\p{L}\p{M}\p{N}]--${CJK}]`;
const JOINER = String.raw`(?:['\u2019\u02BC\-\u2010\u2011.]|(?<=\p{N}),(?=\p{N}))`;
const WORD = new RegExp(String.raw`${CJK}|${LETTER}+(?:${JOINER}${LETTER}+)*`, 'gv');
const ASCII_WORD = /[A-Za-z0-9]+(?:(?:['\-.]|(?<=[0-9]),(?=[0-9]))[A-Za-z0-9]+)*/g;
// eslint-disable-next-line no-control-regex -- the one place where "ASCII only" is the question
const NON_ASCII = /[^\u0000-\u007f]/;
const WHITESPACE = /\s/;

/** Number of words in `text` under the rule above. Pure; O(text length). */
export function countWords(text: string): number {
  // Most prose typed in the editor is ASCII between keystrokes; the ASCII pattern is the same
  // rule restricted to ASCII (no CJK, no curly quotes) and is several times faster.
  const re = NON_ASCII.test(text) ? WORD : ASCII_WORD;
  re.lastIndex = 0;
  let n = 0;
  while (re.exec(text) !== null) n++;
  return n;
}

/** The words of `text` in order, as the rule cuts them (for tests, debugging and the docs). */
export function matchWords(text: string): string[] {
  return text.match(new RegExp(WORD.source, 'gv')) ?? [];
}

/** True for the UTF-16 code unit `code` when it is whitespace (JS `\s`): a safe word boundary. */
export function isWhitespaceCode(code: number): boolean {
  if (code === 32 || (code >= 9 && code <= 13)) return true;
  return code > 127 && WHITESPACE.test(String.fromCharCode(code));
}

/** Index of the last whitespace in `s` before `end` (exclusive), or -1. */
export function lastWhitespace(s: string, end = s.length): number {
  for (let i = end - 1; i >= 0; i--) if (isWhitespaceCode(s.charCodeAt(i))) return i;
  return -1;
}

/** Index of the first whitespace in `s`, or -1. */
export function firstWhitespace(s: string): number {
  for (let i = 0; i < s.length; i++) if (isWhitespaceCode(s.charCodeAt(i))) return i;
  return -1;
}
