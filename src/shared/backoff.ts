/**
 * Exponential backoff: the delay before the next attempt doubles after each failure, up to a cap,
 * and starts over after a success. Pure arithmetic; the caller owns the timers.
 */
export class Backoff {
  private failures = 0;

  constructor(
    readonly firstMs: number,
    readonly maxMs: number,
  ) {}

  /** Records a failure and returns how long to wait before trying again. */
  fail(): number {
    const delay = Math.min(this.maxMs, this.firstMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return delay;
  }

  succeed(): void {
    this.failures = 0;
  }

  /** Failures since the last success. */
  get count(): number {
    return this.failures;
  }
}
