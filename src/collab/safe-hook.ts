import type { Logger } from '../lib/logger.js';

/**
 * Hocuspocus neither awaits nor catches `onChange` and `onAwarenessUpdate`: a throw or a
 * rejection there takes the whole process down. Every such hook is wrapped in this, so a bug in
 * one tracker costs one log line, never everyone's connection.
 */
export function safeHook<P>(logger: Logger, name: string, fn: (payload: P) => unknown): (payload: P) => Promise<void> {
  return async (payload: P) => {
    try {
      await fn(payload);
    } catch (error) {
      logger.error({ err: error, hook: name }, 'hook failed; the update was kept and the server goes on');
    }
  };
}
