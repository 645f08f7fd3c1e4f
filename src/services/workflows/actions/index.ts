import { join } from 'node:path';
import type { Clock } from '../../../lib/clock.js';
import type { ActionHandler } from '../action-handlers.js';
import { createAiAction, type AiConfig } from './ai.js';
import { createDatabaseAction } from './database.js';
import { createDocumentExportAction } from './document-export.js';
import { createDocumentValidateAction } from './document-validate.js';
import { createDocumentVersionAction } from './document-version.js';
import { createEpubCheckAction } from './epub-check.js';
import { createEventEmitAction } from './event-emit.js';
import { createFileAction } from './file.js';
import { createHttpAction } from './http.js';
import { createLoopAction } from './loop.js';
import { createNotifyActions } from './notify.js';
import type { EventPublisher, ExportPort, ManuscriptPort, NotifySender, SalesReadPort, VersionPort, WritingReadPort } from './ports.js';
import { createSandbox } from './sandbox.js';
import { createUploadActions } from './upload.js';

export { createLiveManuscripts } from './manuscripts.js';
export { createArchiveSales } from './sales.js';
export type { EventPublisher, ExportPort, ManuscriptPort, NotifySender, SalesReadPort, VersionPort, WritingReadPort } from './ports.js';

export interface WorkflowActionsDeps {
  /** DATA_DIR: files live in DATA_DIR/files/<projectId>/, uploads without WORKFLOW_UPLOAD_URL in DATA_DIR/uploads/. */
  dataDir: string;
  clock: Clock;
  /** WORKFLOW_HTTP_ALLOW (comma-separated host[:port] patterns; empty allows nothing). */
  httpAllow: string | undefined;
  /** WORKFLOW_UPLOAD_URL. */
  uploadUrl: string | undefined;
  ai: Omit<AiConfig, 'fetch'>;
  publish: EventPublisher;
  versions: VersionPort;
  publishing: ExportPort;
  manuscripts: ManuscriptPort;
  writing: WritingReadPort;
  notify: NotifySender;
  /** Sales from the audit archive for `database` sales.daily: createArchiveSales(db.events). */
  sales?: SalesReadPort;
  /** Path of the epubcheck executable or jar (default /usr/bin/epubcheck, the Debian package). */
  epubcheck?: string;
  /** For tests: the fetch the ai and upload actions use (http connects itself, pinned to a checked address). */
  fetch?: typeof fetch;
}

/** Every action of docs/workflows.md "Actions" (the engine adds delay and condition itself). */
export function createWorkflowActions(deps: WorkflowActionsDeps): ActionHandler[] {
  const sandbox = createSandbox(join(deps.dataDir, 'files'));
  const withFetch = deps.fetch ? { fetch: deps.fetch } : {};
  const handlers = new Map<string, ActionHandler>();
  const list: ActionHandler[] = [
    createHttpAction({ allow: deps.httpAllow }),
    createFileAction({ sandbox }),
    createEventEmitAction({ publish: deps.publish, clock: deps.clock }),
    createDatabaseAction({ writing: deps.writing, manuscripts: deps.manuscripts, clock: deps.clock, ...(deps.sales ? { sales: deps.sales } : {}) }),
    createAiAction({ ...deps.ai, ...withFetch }),
    createDocumentVersionAction({ versions: deps.versions }),
    createDocumentExportAction({ publishing: deps.publishing, manuscripts: deps.manuscripts, sandbox }),
    createDocumentValidateAction({ manuscripts: deps.manuscripts }),
    createEpubCheckAction({ sandbox, ...(deps.epubcheck ? { command: deps.epubcheck } : {}) }),
    ...createUploadActions({ sandbox, config: { url: deps.uploadUrl, directory: join(deps.dataDir, 'uploads'), ...withFetch } }),
    ...createNotifyActions({ notify: deps.notify }),
  ];
  list.push(createLoopAction({ handlers: () => handlers }));
  for (const handler of list) handlers.set(handler.spec.name, handler);
  return list;
}
