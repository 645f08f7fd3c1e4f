/**
 * A module loaded on first use instead of at start-up. Libraries that only some requests need
 * (exporters, importers, mail and push transports) cost start-up time and resident memory in
 * every process that never uses them: @tiptap/html with happy-dom ~50 MB RSS, nodemailer 27,
 * web-push 17, mammoth 16, docx 16 (measured one by one in a bare Node process).
 *
 * `lazyModule(() => import('x'))` returns a loader that imports once and hands every caller the
 * same promise; a failed import is forgotten, so the next call tries again. Declare one loader
 * per library in one place (e.g. src/manuscript/libs.ts) so the module is never both lazy and
 * statically imported.
 */
export function lazyModule<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
}
