import type { Config } from '../config.js';
import type { Database } from '../db/document-store.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { LiveDocuments } from '../services/documents/ports.js';
import { createPublishingService, type PublishingService } from '../services/publishing/publishing-service.js';
import { createVersionService, type VersionService } from '../services/versions/version-service.js';

/** Versions (docs/versions.md) and export/import (docs/export.md), both over the live documents. */
export function composeManuscripts(deps: {
  config: Config;
  db: Database;
  live: LiveDocuments;
  bus: EventBus;
  actorOf: (userId: string) => string;
  clock: Clock;
  logger: Logger;
}): { versions: VersionService; publishing: PublishingService } {
  const { clock, logger } = deps;
  return {
    versions: createVersionService({ store: deps.db.versions, live: deps.live, clock, logger: logger.child({ module: 'versions' }) }),
    publishing: createPublishingService({
      documents: deps.live,
      publish: (event) => deps.bus.publish(event),
      actorOf: deps.actorOf,
      clock,
      logger: logger.child({ module: 'publishing' }),
      maxImportBytes: deps.config.limits.maxImportBytes,
    }),
  };
}
