/**
 * The consumer loop both buses run: read, dedupe, handle, acknowledge, retry with backoff, take
 * over entries of dead members, dead-letter after `maxDeliveries`. A bus supplies only the
 * storage operations (`ConsumerSource`), so delivery semantics are written once and the contract
 * suite tests one behaviour through two storages.
 */
import { backoffDelay } from '../lib/backoff.js';
import type { Logger } from '../lib/logger.js';
import type { ConsumerSpec, Subscription } from './bus.js';
import type { BusMetrics } from './bus-metrics.js';
import { DEFAULT_MAX_DELIVERIES, type ConsumerTuning, type SeenIds } from './bus-options.js';
import { DeliveryHandler } from './consumer-delivery.js';
import { AckBuffer, RetrySchedule } from './consumer-state.js';
import type { ConsumerSource } from './consumer-source.js';

export type { ConsumerSource, Delivery, EntryRef } from './consumer-source.js';

export interface ConsumerDeps {
  spec: ConsumerSpec;
  source: ConsumerSource;
  tuning: ConsumerTuning;
  logger: Logger;
  metrics: BusMetrics;
  /** Ids this member's group handled recently. */
  seen: SeenIds;
}

const ERROR_BACKOFF = { baseMs: 100, maxMs: 5_000 };

/**
 * Starts a member; the returned subscription's `ready` resolves once its groups exist. The loop
 * here only paces: claim what dead members left, run due retries, read; the delivery step
 * (consumer-delivery.ts) screens, handles and acknowledges.
 */
export function startConsumer(deps: ConsumerDeps): Subscription {
  const { spec, source, tuning } = deps;
  const logger = deps.logger.child({ group: spec.group });
  const maxDeliveries = spec.maxDeliveries ?? DEFAULT_MAX_DELIVERIES;
  if (!Number.isInteger(maxDeliveries) || maxDeliveries < 1) throw new Error('maxDeliveries must be a positive integer');
  const acks = new AckBuffer(source);
  const retries = new RetrySchedule();
  let stopping = false;
  let abandoned = false;
  const delivery = new DeliveryHandler({ ...deps, logger, maxDeliveries, acks, retries, abandoned: () => abandoned });
  const sleeper = createSleeper();

  const runDueRetries = async () => {
    for (const retry of retries.takeDue(Date.now(), () => stopping)) {
      const again = await source.retry(retry, Math.floor(retry.delayMs / 2), retry.deliveries + 1);
      if (again) await delivery.process([again], false);
    }
  };

  // Group creation retries until it works: Redis may be down when the subscription starts.
  const prepare = async (): Promise<boolean> => {
    for (let attempt = 0; !stopping; attempt++) {
      try {
        await source.prepare();
        return true;
      } catch (error) {
        logger.warn({ err: error }, 'cannot create consumer group yet; retrying');
        await sleeper.sleep(backoffDelay(attempt, ERROR_BACKOFF));
      }
    }
    return false;
  };

  let resolveReady!: () => void;
  const ready = new Promise<void>((resolve) => (resolveReady = resolve));
  const run = async () => {
    const prepared = await prepare();
    resolveReady();
    if (!prepared) return;
    let failures = 0;
    let nextClaimAt = 0; // claim at once: a restarted member picks up what a dead one left
    while (!stopping) {
      try {
        if (Date.now() >= nextClaimAt) {
          const claimed = await source.claimIdle(tuning.claimIdleMs, tuning.batchSize);
          // A full batch means more may be waiting: claim again right after this one.
          nextClaimAt = claimed.length >= tuning.batchSize ? 0 : Date.now() + Math.max(50, tuning.claimIdleMs / 2);
          await delivery.process(claimed, true);
        }
        await runDueRetries();
        if (stopping) break;
        const wait = Math.max(0, Math.min(tuning.blockMs, nextClaimAt - Date.now(), retries.nextDue() - Date.now()));
        await delivery.process(await source.read(tuning.batchSize, wait), true);
        failures = 0;
      } catch (error) {
        if (stopping) break;
        failures++;
        const delay = backoffDelay(failures - 1, ERROR_BACKOFF);
        // The first failure of a streak is worth a warning; the rest would only flood the log.
        if (failures === 1) logger.warn({ err: error }, 'event consumer error; retrying');
        await sleeper.sleep(delay);
      }
    }
  };

  const done = run().catch((error) => logger.error({ err: error }, 'event consumer stopped unexpectedly'));
  let stopped: Promise<void> | undefined;

  return {
    ready,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        source.interrupt();
        sleeper.wake();
        const finished = await settlesWithin(done, tuning.drainTimeoutMs);
        if (!finished) {
          abandoned = true;
          logger.warn({ drainTimeoutMs: tuning.drainTimeoutMs }, 'handler still running at stop; abandoning it unacknowledged');
        }
        // Entries whose handlers finished are acknowledged even when a later one was abandoned.
        await acks.flush().catch((error) => logger.warn({ err: error }, 'could not acknowledge at stop'));
        await source.release(finished && retries.size === 0);
      })();
      return stopped;
    },
  };
}

/** A sleep that stop() can cut short (the loop waits out error backoffs with it). */
function createSleeper(): { sleep(ms: number): Promise<void>; wake(): void } {
  let wakeSleep: (() => void) | undefined;
  return {
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wakeSleep = () => {
          clearTimeout(timer);
          resolve();
        };
      }),
    wake: () => wakeSleep?.(),
  };
}

/** Whether `promise` settles within `ms` (true) or the time ran out first (false). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const finished = await Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  clearTimeout(timer);
  return finished;
}
