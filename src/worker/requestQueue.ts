/**
 * Runs jobs one at a time, in the order they were queued, whatever each one's outcome. The engine's
 * state-changing requests (configure, reindex, pause, flush, shutdown) go through one queue so two
 * of them never interleave: a model switch cannot overlap another one and start a second runtime.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private length = 0;

  /** Queues `job`; it starts when every job queued before it has settled. */
  run<T>(job: () => Promise<T>): Promise<T> {
    this.length++;
    const result = this.tail.then(job, job).finally(() => this.length--);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Jobs queued or running. */
  get size(): number {
    return this.length;
  }
}
