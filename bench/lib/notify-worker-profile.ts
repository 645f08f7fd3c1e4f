/**
 * CPU profiles of the worker threads of this process (PGlite's, where all SQL runs), taken
 * through the main thread's inspector session: `--cpu-prof` does not reach that worker (it is
 * started with its own execArgv and terminated at close, before a profile would be written).
 * Used by notify-server.ts when BENCH_NOTIFY_WORKER_PROFILE names a folder.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

interface WorkerMessage {
  id?: number;
  result?: { profile?: unknown };
}

export interface WorkerProfiler {
  start(): Promise<void>;
  /** Stops every worker's profiler and writes `<dir>/worker-<n>.cpuprofile`; returns the paths. */
  stop(): Promise<string[]>;
}

export async function attachWorkerProfiler(dir: string): Promise<WorkerProfiler> {
  const session = new Session();
  session.connect();
  const workers: string[] = [];
  const waiting = new Map<string, (m: WorkerMessage) => void>();
  session.on('NodeWorker.attachedToWorker', (m) => void workers.push(m.params.sessionId));
  session.on('NodeWorker.receivedMessageFromWorker', (m) => {
    const message = JSON.parse(m.params.message) as WorkerMessage;
    waiting.get(`${m.params.sessionId}:${message.id}`)?.(message);
  });
  await session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  let nextId = 1;
  const call = (sessionId: string, method: string, params: object = {}) =>
    new Promise<WorkerMessage>((resolve) => {
      const id = nextId++;
      waiting.set(`${sessionId}:${id}`, resolve);
      void session.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id, method, params }) });
    });
  return {
    async start() {
      for (const w of workers) {
        await call(w, 'Profiler.enable');
        await call(w, 'Profiler.setSamplingInterval', { interval: 1000 });
        await call(w, 'Profiler.start');
      }
    },
    async stop() {
      const paths: string[] = [];
      for (const [n, w] of workers.entries()) {
        const { result } = await call(w, 'Profiler.stop');
        const path = join(dir, `worker-${n}.cpuprofile`);
        await writeFile(path, JSON.stringify(result?.profile ?? {}));
        paths.push(path);
      }
      return paths;
    },
  };
}
