import { createClient } from '@storyloom/client';
import { collaborationExtensions } from '@storyloom/client/tiptap';
import { Editor } from '@tiptap/core';
// The server's editor schema (src/manuscript/schema.ts): export and import read documents through it.
import { manuscriptExtensions } from '@storyloom/schema';

const client = createClient({ url: 'https://storyloom.example.com', getToken: () => fetch('/session/storyloom-token').then((r) => r.text()) });
const doc = client.document('my-novel/chapter-1');

new Editor({
  element: document.querySelector('#editor')!,
  extensions: [...manuscriptExtensions(), ...collaborationExtensions(doc)],
});

doc.onConflict((w) => {
  document.querySelector('#banner')!.textContent = w.status === 'predicted' ? `Another writer is working ${w.severity === 'high' ? 'in' : 'next to'} your paragraph` : '';
});
