import type { Progress } from '../core/indexer';

/**
 * A progress bar with ETA on stderr. On a terminal it redraws one line; otherwise it prints
 * a line every few seconds so logs stay readable.
 */
export class ProgressBar {
  private phaseStart = performance.now();
  private phase = '';
  private lastPrint = 0;
  private readonly tty = !!process.stderr.isTTY;

  update(p: Progress): void {
    // A phase with nothing to do (no file changed: nothing to chunk) says nothing; scanning always has a total of 0.
    if (p.total <= 0 && p.phase !== 'scanning') return;
    const now = performance.now();
    if (p.phase !== this.phase) {
      if (this.tty && this.phase) process.stderr.write('\n');
      this.phase = p.phase;
      this.phaseStart = now;
      this.lastPrint = 0;
      // The embedding phase begins once every file is chunked and the keyword index committed.
      if (p.phase === 'embedding' && p.total > 0) process.stderr.write(`keyword index complete (searchable by keywords now); embedding ${p.total} chunks for search by meaning\n`);
    }
    if (now - this.lastPrint < (this.tty ? 100 : 5000) && p.done !== p.total) return;
    this.lastPrint = now;
    process.stderr.write(this.tty ? `\r${this.line(p, now)}\x1b[K` : `${this.line(p, now)}\n`);
  }

  private line(p: Progress, now: number): string {
    if (p.total <= 0) return `${p.phase}...`;
    const frac = Math.min(1, p.done / p.total);
    const width = 24;
    const filled = Math.round(frac * width);
    const elapsed = (now - this.phaseStart) / 1000;
    const rate = elapsed > 0 ? p.done / elapsed : 0;
    const eta = rate > 0 && p.done < p.total ? ` ETA ${formatSeconds((p.total - p.done) / rate)}` : '';
    const speed = p.phase === 'embedding' && rate > 0 ? ` ${rate.toFixed(1)} chunks/s` : '';
    return `${p.phase.padEnd(9)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total}${speed}${eta}`;
  }

  done(): void {
    if (this.tty && this.phase) process.stderr.write('\n');
  }
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.ceil(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
