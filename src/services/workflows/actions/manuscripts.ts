import type { BookDocument } from '../../../manuscript/chapters.js';
import { loadConvert } from '../../../manuscript/load.js';
import type { LiveDocuments } from '../../documents/ports.js';
import type { ManuscriptPort } from './ports.js';

/**
 * The ManuscriptPort over the live documents (what an export reads: the current text, edits not
 * yet compacted included) and a lister of the project's documents in reading order.
 */
export function createLiveManuscripts(deps: { live: Pick<LiveDocuments, 'snapshot'>; documentIds(projectId: string): Promise<string[]> }): ManuscriptPort {
  return {
    documentIds: deps.documentIds,
    async read(ref): Promise<BookDocument> {
      const { docToJSON } = await loadConvert();
      const doc = await deps.live.snapshot(ref);
      try {
        return { title: ref.documentId, content: docToJSON(doc) };
      } finally {
        doc.destroy();
      }
    },
  };
}
