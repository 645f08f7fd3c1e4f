/**
 * The push run's processes and what they say to each other over IPC (bench/scenarios/
 * notifications.ts is the parent):
 *
 *   parent -> server (notify-server.ts: the Storyloom server and the publisher)
 *     tokens {users}                 -> tokens {tokens}         (signed with the server's secret)
 *     await-known {users}            -> known {ms}              (every token seen by the server)
 *     publish {users, rounds, rate}  -> published {...}         (paced; its CPU window starts here)
 *     cpu                            -> cpu {cpu, threads}      (process and per-thread CPU since the publish)
 *     close                          -> the server closes, the process exits
 *   parent -> subscriber (notify-subscriber.ts: a share of the sockets)
 *     connect {url, users}           -> subscribed {count, ms}
 *     mark                           -> (its CPU window starts)
 *                                    <- arrivals {rows} every 100 ms while pushes arrive
 *     collect                        -> report {cpu} (after its last arrivals)
 *     close                          -> the sockets end, the process exits
 * Either child exits by itself when the parent goes away, so a crashed run leaves nothing behind.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface BenchUser {
  id: string;
  project: string;
}

export interface Cpu {
  userMs: number;
  systemMs: number;
  wallMs: number;
}

/** CPU of one thread of the server process (or of several pool threads of one name). */
export interface ThreadCpu {
  name: string;
  ms: number;
}

export type ServerRequest =
  | { type: 'tokens'; users: BenchUser[] }
  | { type: 'await-known'; users: BenchUser[]; timeoutMs: number }
  | { type: 'publish'; users: BenchUser[]; rounds: number; rate: number }
  | { type: 'cpu' }
  | { type: 'close' };

export type ServerReply =
  | { type: 'ready'; port: number; storage: string }
  | { type: 'tokens'; tokens: string[] }
  | { type: 'known'; ms: number }
  | { type: 'published'; seconds: number; publishedAt: number; publisherMsPerEvent: number }
  | { type: 'cpu'; cpu: Cpu; threads: ThreadCpu[] }
  | { type: 'error'; message: string };

export type SubscriberRequest =
  | { type: 'connect'; url: string; users: { id: string; token: string }[] }
  | { type: 'mark' }
  | { type: 'collect' }
  | { type: 'close' };

/**
 * One row per first arrival of a notification, flattened in fours: latency (arrival −
 * occurredAt), event → routing began (createdAt − occurredAt), createdAt → arrival, arrival (epoch ms).
 */
export type SubscriberReply =
  | { type: 'subscribed'; count: number; ms: number }
  | { type: 'arrivals'; rows: number[] }
  | { type: 'report'; cpu: Cpu }
  | { type: 'error'; message: string };

export interface ChildHandle<Req, Rep extends { type: string }> {
  child: ChildProcess;
  send(message: Req): void;
  /** The next message of `type` (an `error` message or an exit rejects). */
  next<T extends Rep['type']>(type: T, timeoutMs: number): Promise<Extract<Rep, { type: T }>>;
  /** Asks it to close and waits for the exit (SIGKILL after `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

/** Forks `file` (relative to this folder) under tsx; `execArgv` adds Node flags (e.g. --cpu-prof). */
export function forkChild<Req extends { type: string }, Rep extends { type: string }>(file: string, execArgv: string[] = [], env: NodeJS.ProcessEnv = process.env): ChildHandle<Req, Rep> {
  const path = fileURLToPath(new URL(file, import.meta.url));
  const child = fork(path, [], { execArgv: ['--import', 'tsx', ...execArgv], env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    send: (message) => {
      if (child.connected) child.send(message);
    },
    next: (type, timeoutMs) => nextMessage(child, file, type, timeoutMs),
    async close(graceMs = 35_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: 'close' });
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The child's next IPC message of `type` (an `error` message or the child's exit rejects), for
 * the bench's forked helpers (load workers, notification server and subscribers).
 */
export function nextMessage<M extends { type: string }>(child: ChildProcess, label: string, type: string, timeoutMs: number): Promise<M> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`${label}: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: M) => {
      if (message.type === type) finish(undefined, message);
      else if (message.type === 'error') finish(new Error(`${label}: ${(message as { message?: string }).message}`));
    };
    const onExit = (code: number | null) => finish(new Error(`${label} exited (${code}) while waiting for "${type}"`));
    function finish(error?: Error, message?: M) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message as M);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
