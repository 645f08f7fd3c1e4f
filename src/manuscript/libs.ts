/**
 * The conversion libraries, each loaded on its first use (src/lib/lazy.ts says why): only
 * exports and imports need them, and together they are most of the manuscript code's memory
 * (@tiptap/html brings happy-dom). Import them only through these loaders.
 */
import { lazyModule } from '../lib/lazy.js';

export const loadTiptapHtml = lazyModule(() => import('@tiptap/html'));
export const loadMammoth = lazyModule(async () => (await import('mammoth')).default);
export const loadMarked = lazyModule(async () => (await import('marked')).marked);
export const loadDocx = lazyModule(() => import('docx'));
export const loadFflate = lazyModule(() => import('fflate'));
