/**
 * HTML export through @tiptap/html (the editor's own serializer: what you export is what the
 * editor renders), wrapped in a standalone HTML5 page with one <section> per chapter.
 */
import type { Chapter } from './chapters.js';
import { loadTiptapHtml } from './libs.js';
import { manuscriptExtensions } from './schema.js';
import { escapeXml } from './xhtml.js';

/** A standalone HTML page of the chapters (title and author in <head>, not in the text). */
export async function chaptersToHtml(chapters: readonly Chapter[], meta: { title: string; author: string; language?: string }): Promise<string> {
  const { generateHTML } = await loadTiptapHtml();
  const extensions = manuscriptExtensions();
  const sections = chapters.map((c) => `<section class="chapter">\n${generateHTML({ type: 'doc', content: c.blocks }, extensions)}\n</section>`);
  return `<!DOCTYPE html>
<html lang="${escapeXml(meta.language ?? 'en')}">
<head>
<meta charset="utf-8">
<title>${escapeXml(meta.title)}</title>
<meta name="author" content="${escapeXml(meta.author)}">
</head>
<body>
${sections.join('\n')}
</body>
</html>
`;
}
