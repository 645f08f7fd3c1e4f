import type { Hocuspocus } from '@hocuspocus/server';
import * as Y from 'yjs';
import type { Logger } from '../lib/logger.js';

/** The opening of Pride and Prejudice (public domain; tests/fixtures/novels), so the demo starts with prose. */
export const DEMO_OPENING = [
  'It is a truth universally acknowledged, that a single man in possession of a good fortune must be in want of a wife.',
  'However little known the feelings or views of such a man may be on his first entering a neighbourhood, this truth is so well fixed in the minds of the surrounding families, that he is considered as the rightful property of some one or other of their daughters.',
  '“My dear Mr. Bennet,” said his lady to him one day, “have you heard that Netherfield Park is let at last?”',
  'Mr. Bennet replied that he had not.',
  '“But it is,” returned she; “for Mrs. Long has just been here, and she told me all about it.”',
  'Mr. Bennet made no answer.',
] as const;

/**
 * Fills the demo document with prose once, when it is empty, as a server-side edit.
 *
 * Why on the server: when the first visitor's browser seeded it, the tracker credited ~120 words
 * "today" to a writer who typed nothing. A DirectConnection's transactions have the origin
 * `local`, which the document tap attributes to no writer, and which the persistence extension
 * logs like any other edit (so the seed survives restarts and is not repeated).
 */
export async function seedDemoDocument(hocuspocus: Hocuspocus, documentName: string, logger: Logger): Promise<boolean> {
  const connection = await hocuspocus.openDirectConnection(documentName, { demoSeed: true });
  let seeded = false;
  try {
    await connection.transact((doc) => {
      const fragment = doc.getXmlFragment('default');
      if (fragment.length > 0) return;
      fragment.insert(
        0,
        DEMO_OPENING.map((text) => {
          const paragraph = new Y.XmlElement('paragraph');
          const content = new Y.XmlText();
          content.insert(0, text);
          paragraph.insert(0, [content]);
          return paragraph;
        }),
      );
      seeded = true;
    });
  } finally {
    await connection.disconnect();
  }
  if (seeded) logger.info({ document: documentName }, 'seeded the demo document (a server-side edit, credited to no writer)');
  return seeded;
}
