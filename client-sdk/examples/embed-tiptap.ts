import { createClient } from '@storyloom/client';
import { collaborationExtensions } from '@storyloom/client/tiptap';
import { Editor } from '@tiptap/core';
import StarterKit from '@tiptap/starter-kit';

const client = createClient({ url: 'https://storyloom.example.com', getToken: () => fetch('/session/storyloom-token').then((r) => r.text()) });
const doc = client.document('my-novel/chapter-1');

new Editor({
  element: document.querySelector('#editor')!,
  // The server's schema (export, import, versions): StarterKit, with Collaboration's undo instead of its own.
  extensions: [StarterKit.configure({ undoRedo: false }), ...collaborationExtensions(doc)],
});

doc.onConflict((w) => {
  document.querySelector('#banner')!.textContent = w.status === 'predicted' ? `Another writer is working ${w.severity === 'high' ? 'in' : 'next to'} your paragraph` : '';
});
