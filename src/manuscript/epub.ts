/**
 * EPUB 3 from chapters: fflate's zip plus our own small XHTML templates, not an EPUB library.
 * Why: the EPUB libraries on npm either fetch resources over the network, write to the file
 * system, or drag in a templating engine, and we need few files: a title page, a navigation
 * document (which is also the book's table of contents page), an NCX for EPUB 2 reading systems,
 * one XHTML file per chapter, a style sheet and an optional cover. Writing them ourselves keeps the
 * output exactly what `epubcheck` expects (docs/export.md) and the function pure and fast.
 */
import type { Zippable } from 'fflate';
import type { BookMeta, Chapter } from './chapters.js';
import { loadFflate } from './libs.js';
import { blocksToXhtml, escapeXml } from './xhtml.js';

const STYLE = `body { font-family: serif; line-height: 1.5; }
h1, h2, h3 { text-align: center; page-break-before: always; break-before: page; }
p { margin: 0; text-indent: 1.5em; }
h1 + p, h2 + p, h3 + p, hr + p, blockquote p { text-indent: 0; }
blockquote { margin: 1em 2em; }
hr.scene-break { border: none; margin: 1em 0; text-align: center; }
hr.scene-break::after { content: "* * *"; }
.title-page { text-align: center; margin-top: 30%; }
.cover { text-align: center; }
.cover img { max-width: 100%; max-height: 100%; }
`;

const CONTAINER = `<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles>
    <rootfile full-path="EPUB/package.opf" media-type="application/oebps-package+xml"/>
  </rootfiles>
</container>
`;

/** The file name of chapter `i` (0-based) inside EPUB/. */
export const chapterFile = (i: number): string => `chapter-${String(i + 1).padStart(3, '0')}.xhtml`;

/** The EPUB's bytes (a zip whose first entry is the uncompressed `mimetype`, as OCF requires). */
export async function buildEpub(chapters: readonly Chapter[], meta: BookMeta): Promise<Uint8Array> {
  const { strToU8, zipSync } = await loadFflate();
  const lang = meta.language ?? 'en';
  const files: Zippable = {
    // Insertion order is zip order: mimetype first and stored (level 0).
    mimetype: [strToU8('application/epub+zip'), { level: 0 }],
    'META-INF/container.xml': strToU8(CONTAINER),
  };
  const cover = meta.cover ? { file: meta.cover.mediaType === 'image/png' ? 'cover.png' : 'cover.jpg', ...meta.cover } : undefined;
  files['EPUB/package.opf'] = strToU8(packageDocument(chapters, meta, lang, cover));
  files['EPUB/nav.xhtml'] = strToU8(navDocument(chapters, meta, lang));
  files['EPUB/toc.ncx'] = strToU8(ncx(chapters, meta));
  files['EPUB/style.css'] = strToU8(STYLE);
  files['EPUB/title.xhtml'] = strToU8(page(meta.title, lang, `<section class="title-page" epub:type="titlepage">\n<h1>${escapeXml(meta.title)}</h1>\n<p>${escapeXml(meta.author)}</p>\n</section>`));
  if (cover) {
    files[`EPUB/${cover.file}`] = [cover.bytes, { level: 0 }];
    files['EPUB/cover.xhtml'] = strToU8(page(meta.title, lang, `<section class="cover" epub:type="cover">\n<img src="${cover.file}" alt="${escapeXml(`Cover of ${meta.title}`)}"/>\n</section>`));
  }
  chapters.forEach((chapter, i) => {
    const body = `<section epub:type="chapter" role="doc-chapter" aria-label="${escapeXml(chapter.title)}">\n${blocksToXhtml(chapter.blocks)}\n</section>`;
    files[`EPUB/${chapterFile(i)}`] = strToU8(page(chapter.title, lang, body));
  });
  return zipSync(files, { level: 6 });
}

function page(title: string, lang: string, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" xml:lang="${escapeXml(lang)}" lang="${escapeXml(lang)}">
<head>
<meta charset="UTF-8"/>
<title>${escapeXml(title)}</title>
<link rel="stylesheet" type="text/css" href="style.css"/>
</head>
<body>
${body}
</body>
</html>
`;
}

/** `CCYY-MM-DDThh:mm:ssZ`, the only form dcterms:modified accepts. */
function modifiedStamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function packageDocument(chapters: readonly Chapter[], meta: BookMeta, lang: string, cover: { file: string; mediaType: string } | undefined): string {
  const items = [
    '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>',
    '<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>',
    '<item id="style" href="style.css" media-type="text/css"/>',
    '<item id="title" href="title.xhtml" media-type="application/xhtml+xml"/>',
    ...(cover
      ? [
          `<item id="cover-image" href="${cover.file}" media-type="${cover.mediaType}" properties="cover-image"/>`,
          '<item id="cover" href="cover.xhtml" media-type="application/xhtml+xml"/>',
        ]
      : []),
    ...chapters.map((_c, i) => `<item id="c${i + 1}" href="${chapterFile(i)}" media-type="application/xhtml+xml"/>`),
  ];
  const spine = [
    ...(cover ? ['<itemref idref="cover" linear="no"/>'] : []),
    '<itemref idref="title"/>',
    '<itemref idref="nav"/>',
    ...chapters.map((_c, i) => `<itemref idref="c${i + 1}"/>`),
  ];
  return `<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="book-id" xml:lang="${escapeXml(lang)}">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="book-id">${escapeXml(meta.identifier)}</dc:identifier>
    <dc:title>${escapeXml(meta.title)}</dc:title>
    <dc:creator>${escapeXml(meta.author)}</dc:creator>
    <dc:language>${escapeXml(lang)}</dc:language>
    <meta property="dcterms:modified">${modifiedStamp(meta.modified)}</meta>${cover ? '\n    <meta name="cover" content="cover-image"/>' : ''}
  </metadata>
  <manifest>
    ${items.join('\n    ')}
  </manifest>
  <spine toc="ncx">
    ${spine.join('\n    ')}
  </spine>
</package>
`;
}

function navDocument(chapters: readonly Chapter[], meta: BookMeta, lang: string): string {
  const entries = chapters.map((c, i) => `<li><a href="${chapterFile(i)}">${escapeXml(c.title)}</a></li>`);
  const body = `<nav epub:type="toc" id="toc" role="doc-toc">
<h1>Contents</h1>
<ol>
${entries.length > 0 ? entries.join('\n') : '<li><a href="title.xhtml">' + escapeXml(meta.title) + '</a></li>'}
</ol>
</nav>
<nav epub:type="landmarks" hidden="hidden">
<h2>Landmarks</h2>
<ol>
<li><a epub:type="titlepage" href="title.xhtml">Title page</a></li>
<li><a epub:type="toc" href="nav.xhtml#toc">Contents</a></li>${chapters.length > 0 ? `\n<li><a epub:type="bodymatter" href="${chapterFile(0)}">Start of the book</a></li>` : ''}
</ol>
</nav>`;
  return page(`${meta.title}: Contents`, lang, body);
}

function ncx(chapters: readonly Chapter[], meta: BookMeta): string {
  const points = chapters.map(
    (c, i) => `    <navPoint id="np${i + 1}" playOrder="${i + 1}"><navLabel><text>${escapeXml(c.title)}</text></navLabel><content src="${chapterFile(i)}"/></navPoint>`,
  );
  if (points.length === 0) points.push(`    <navPoint id="np1" playOrder="1"><navLabel><text>${escapeXml(meta.title)}</text></navLabel><content src="title.xhtml"/></navPoint>`);
  return `<?xml version="1.0" encoding="UTF-8"?>
<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1">
  <head>
    <meta name="dtb:uid" content="${escapeXml(meta.identifier)}"/>
    <meta name="dtb:depth" content="1"/>
    <meta name="dtb:totalPageCount" content="0"/>
    <meta name="dtb:maxPageNumber" content="0"/>
  </head>
  <docTitle><text>${escapeXml(meta.title)}</text></docTitle>
  <navMap>
${points.join('\n')}
  </navMap>
</ncx>
`;
}
