import type { EngineStatus } from './engineProtocol';
import { formatCount, formatDuration } from './eta';

/** Builds embedding fewer chunks than this end in seconds: no notices. */
export const FIRST_BUILD_MIN_CHUNKS = 500;
/**
 * A run whose embedding phase has at least this share of a folder's chunks left is a first build (a new folder,
 * model or precision); some were embedded while the files were being chunked.
 */
const FIRST_BUILD_SHARE = 0.5;

/**
 * The two notices of a folder's first build, from the statuses the engine sends: when its keyword index
 * is complete (embedding has started: every file is searchable by keywords) and when every chunk has a
 * vector (search by meaning is complete). Plain function of the statuses and the times given.
 */
export class FirstBuildNotices {
  /** First builds under way, by folder name: when embedding started and whether keyword readiness was told. */
  private readonly runs = new Map<string, { startedMs: number; told: boolean }>();

  observe(s: EngineStatus, nowMs: number): string[] {
    const out: string[] = [];
    const p = s.state === 'indexing' ? s.progress : undefined;
    for (const [name, run] of this.runs) {
      if (p?.folder === name) continue; // still embedding, or saving the last vectors
      this.runs.delete(name);
      const f = s.folders.find((x) => x.name === name);
      if (run.told && f && f.chunks > 0 && f.embedded >= f.chunks) {
        out.push(`Kindred: search by meaning is ready in ${name}: ${formatCount(f.chunks)} chunks embedded in ${formatDuration((nowMs - run.startedMs) / 1000)}.`);
      }
    }
    if (p?.phase !== 'embedding' || p.done >= p.total) return out;
    const f = s.folders.find((x) => x.name === p.folder);
    let run = this.runs.get(p.folder);
    if (!run) {
      if (!f || p.total < FIRST_BUILD_MIN_CHUNKS || p.total < FIRST_BUILD_SHARE * f.chunks) return out;
      run = { startedMs: nowMs, told: false };
      this.runs.set(p.folder, run);
    }
    // Told once the rate (and so the time left) is known, a few seconds in.
    if (!run.told && p.etaSeconds !== undefined) {
      run.told = true;
      const files = f?.files ?? 0;
      const rate = p.perSecond !== undefined ? ` at ${formatCount(p.perSecond)} chunks/s` : '';
      out.push(
        `Kindred: keyword search is ready in ${p.folder} (${formatCount(files)} files). Search by meaning follows as ${formatCount(p.total)} chunks are embedded${rate}: about ${formatDuration(p.etaSeconds)} left.`,
      );
    }
    return out;
  }
}
