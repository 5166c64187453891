/**
 * Time left from measured progress, and the number formats the status bar uses. Plain functions of the
 * samples they are given (no clock inside): the engine feeds them `Date.now()`, the tests fixed times.
 */

/** The engine sends at most one progress event this often (ms) within a phase (indexing, adapting). */
export const PROGRESS_EVERY_MS = 250;

/** Progress is measured over this much recent time (ms): a rate that follows speed changes without jitter. */
const RATE_WINDOW_MS = 20_000;
/** No estimate before this much progress time (ms): the first batches include loading and warm-up. */
const MIN_SPAN_MS = 2_000;

export class RateMeter {
  private samples: { t: number; done: number }[] = [];
  private key: string | undefined;
  /** Items per second over the last 20 s, as of the last sample (undefined while there is no rate). */
  perSecond: number | undefined;

  /**
   * Records that `done` of `total` are done at time `nowMs` (for the work named `key`: a new key starts
   * over) and returns the seconds left at the rate measured over the last 20 s, or undefined while there
   * is no rate yet (less than 2 s of progress, or nothing done in the window).
   */
  sample(key: string, done: number, total: number, nowMs: number): number | undefined {
    const last = this.samples[this.samples.length - 1];
    if (key !== this.key || (last && done < last.done)) {
      this.key = key;
      this.samples = [];
    }
    this.samples.push({ t: nowMs, done });
    while (this.samples.length > 2 && nowMs - this.samples[1].t >= RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0];
    const span = nowMs - first.t;
    const progressed = done - first.done;
    this.perSecond = undefined;
    if (span < MIN_SPAN_MS || progressed <= 0) return undefined;
    const perMs = progressed / span;
    this.perSecond = perMs * 1000;
    return Math.max(0, Math.round((total - done) / perMs / 1000));
  }

  reset(): void {
    this.samples = [];
    this.key = undefined;
    this.perSecond = undefined;
  }
}

/** `0:40`, `12:05`, `1:02:03`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A count with thousands separators: `1,762` (the same on every machine, not the locale's). */
export function formatCount(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Bytes as `8.4 MB` / `512 KB` / `900 B`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} KB`;
  return `${bytes} B`;
}
