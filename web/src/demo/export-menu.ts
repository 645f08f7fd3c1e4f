import type { StoryloomClient } from '@storyloom/client';
import { h } from '../lib/dom.js';

const FORMATS = [
  ['epub', 'EPUB'],
  ['docx', 'Word (DOCX)'],
  ['html', 'HTML'],
  ['md', 'Markdown'],
] as const;

/**
 * Export of the open document (server docs/export.md): one button per format; the file comes
 * from the REST export and is handed to the browser as a download under the server's file name.
 */
export function mountExportMenu(panel: HTMLElement, client: StoryloomClient, projectId: string, documentId: string): void {
  const message = h('p', { class: 'export-message', role: 'status' });
  const buttons = FORMATS.map(([format, label]) => {
    const button = h('button', { type: 'button', 'data-action': 'export', 'data-format': format }, label);
    button.addEventListener('click', () => {
      button.disabled = true;
      message.textContent = `Preparing ${label}…`;
      client.api
        .exportDocument(projectId, documentId, { format })
        .then((file) => {
          const url = URL.createObjectURL(new Blob([file.bytes as BlobPart], { type: file.contentType }));
          const link = h('a', { href: url, download: file.fileName ?? `${documentId}.${format}` });
          link.click();
          setTimeout(() => URL.revokeObjectURL(url), 10_000);
          message.textContent = `${file.fileName ?? label}: ${Math.ceil(file.bytes.byteLength / 1024)} KiB`;
        })
        .catch((error: unknown) => (message.textContent = error instanceof Error ? error.message : String(error)))
        .finally(() => (button.disabled = false));
    });
    return button;
  });
  panel.replaceChildren(h('div', { class: 'export-buttons' }, ...buttons), message);
}
