import { strFromU8, unzipSync } from 'fflate';

/** The entries of a zip (EPUB, DOCX) in their stored order, with their bytes. */
export function zipEntries(bytes: Uint8Array): Array<[string, Uint8Array]> {
  return Object.entries(unzipSync(bytes));
}

/**
 * The reading text of an EPUB's chapter documents (EPUB/chapter-*.xhtml), in order: tags out,
 * block ends and <br/> as line breaks, the five XML entities decoded. The title page and the
 * navigation document are left out: their text is metadata, not the documents' words.
 */
export function epubChapterTexts(bytes: Uint8Array): string[] {
  return zipEntries(bytes)
    .filter(([name]) => /^EPUB\/chapter-\d+\.xhtml$/.test(name))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, data]) => xhtmlText(strFromU8(data)));
}

export function xhtmlText(xhtml: string): string {
  const body = /<body>([\s\S]*)<\/body>/.exec(xhtml)?.[1] ?? '';
  return body
    .replace(/<br\/>|<\/(p|h[1-6]|li|blockquote|pre|section)>/g, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&(lt|gt|quot|amp);/g, (_m, e: string) => ({ lt: '<', gt: '>', quot: '"', amp: '&' })[e]!);
}
