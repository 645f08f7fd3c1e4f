/**
 * A promise chain that runs steps one at a time in arrival order. Each writer session has one:
 * a writer's inputs (Yjs edits, REST calls, ticks, flushes) must reach the model in order, while
 * different writers' queues run side by side.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  /** `settled` runs after each step, before the next one starts. */
  constructor(private readonly settled: () => void = () => {}) {}

  /** Steps queued or running. */
  get busy(): boolean {
    return this.pending > 0;
  }

  /** Settles when everything queued so far has run. */
  get idle(): Promise<unknown> {
    return this.tail;
  }

  /** Runs `fn` after everything queued before it; its result (or error) goes to the caller, never to the chain. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    this.pending++;
    const result = this.tail.then(fn);
    this.tail = result
      .then(
        () => {},
        () => {},
      )
      .finally(() => {
        this.pending--;
        this.settled();
      });
    return result;
  }
}
