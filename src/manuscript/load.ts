/**
 * Our own modules over TipTap and ProseMirror (~30 MB RSS with the schema they build), loaded on
 * first use like the libraries in libs.ts: Y.Doc <-> JSON, the exporters and the importers. Only
 * a conversion needs them; routes and workflows need formats.ts and names.ts. Services import
 * them only through these loaders (a separate file from libs.ts, which the converters import).
 */
import { lazyModule } from '../lib/lazy.js';

export const loadConvert = lazyModule(() => import('./convert.js'));
export const loadSchema = lazyModule(() => import('./schema.js'));
export const loadExporter = lazyModule(() => import('./export.js'));
export const loadImporter = lazyModule(() => import('./import.js'));
