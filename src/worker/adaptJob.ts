/**
 * Adapt Search to This Workspace, run in the engine process (see EngineService): one run at a time, its progress
 * as events, and each folder's adapter as status shows it.
 */
import { fingerprintFiles } from '../core/adapt/drift';
import { adaptWorkspace } from '../core/adapt/run';
import type { ModelRuntime } from '../core/embedding/runtime';
import type { AdapterState } from '../core/engine';
import { isKindredError, KindredError } from '../core/errors';
import type { Logger } from '../core/log';
import type { AdaptOutcome, EngineConfig, EventMessage } from '../shared/engineProtocol';
import { PROGRESS_EVERY_MS } from '../shared/eta';
import type { Folder } from './updateLoop';

export class AdaptJobs {
  /** Per folder path: its query adapter as status shows it (recounted after updates, not per status event). */
  private readonly states = new Map<string, AdapterState>();
  /** The folder being adapted (one run at a time). */
  private running: string | undefined;
  private lastProgressAt = 0;

  constructor(
    private readonly emit: (e: EventMessage) => void,
    private readonly logger: Logger,
  ) {}

  /** The folder's adapter as status shows it, if it has one. */
  state(folderPath: string): AdapterState | undefined {
    return this.states.get(folderPath);
  }

  /** Re-reads what status shows of a folder's adapter (counts the files changed since it was trained). */
  refresh(f: Folder): void {
    const state = f.engine.adapterState();
    if (state) this.states.set(f.path, state);
    else this.states.delete(f.path);
  }

  /**
   * Mines pairs from the folder, trains and measures the adapter (see adaptWorkspace), stores it beside the
   * folder's index and applies it at once if it was switched on. `signal` (a cancel) or `closing` (a new
   * configuration) stops it between batches and writes nothing. Too few pairs is an answer, not a failure:
   * `declined` says why. `changed` runs after a run that stored an adapter (the caller emits status).
   */
  async run(
    f: Folder,
    folderIndex: number,
    runtime: ModelRuntime,
    config: Pick<EngineConfig, 'exclude' | 'maxFileBytes'> | undefined,
    cosqaDir: string | undefined,
    signal: AbortSignal,
    closing: AbortSignal,
    changed: () => void,
  ): Promise<AdaptOutcome> {
    if (this.running) throw new KindredError('bad-argument', `Kindred is already adapting search to ${this.running}.`, 'Wait for it to finish, or cancel it.');
    this.running = f.name;
    const stop = AbortSignal.any([signal, closing]);
    let lastPhase = '';
    try {
      const { report } = await adaptWorkspace(f.path, runtime, {
        exclude: config?.exclude,
        maxFileBytes: config?.maxFileBytes,
        cosqaDir: cosqaDir || undefined,
        trainedOn: fingerprintFiles(f.engine.index.files.values()),
        signal: stop,
        save: (a) => f.engine.installAdapter(a),
        onProgress: (phase, done, total) => {
          // Every epoch and every new phase; within a phase at most one event per PROGRESS_EVERY_MS.
          const now = Date.now();
          if (phase !== lastPhase || phase === 'training' || now - this.lastProgressAt >= PROGRESS_EVERY_MS) {
            lastPhase = phase;
            this.lastProgressAt = now;
            this.emit({ kind: 'event', event: 'adaptProgress', folder: f.name, phase, done, total });
          }
        },
      });
      this.refresh(f);
      changed();
      this.logger.info(
        `Adapted search to ${f.name} in ${report.seconds} s: ${report.pairs} pairs, held-out MRR ${report.before.MRR} -> ${report.after.MRR}; ` +
          (report.enabled ? 'switched on.' : `kept off: ${report.reason ?? ''}.`),
      );
      const adapter = this.states.get(f.path);
      return { folder: folderIndex, name: f.name, report, ...(adapter ? { adapter } : {}), ...(cosqaDir ? { cosqaDir } : {}) };
    } catch (e) {
      if (closing.aborted && !signal.aborted) throw new KindredError('bad-argument', `Adapting search to ${f.name} stopped: the settings changed and the folder's index was reopened.`, 'Run it again.');
      if (isKindredError(e) && e.code === 'adapt-too-few-pairs') {
        const adapter = this.states.get(f.path);
        return { folder: folderIndex, name: f.name, declined: { message: e.message, ...(e.fix ? { fix: e.fix } : {}) }, ...(adapter ? { adapter } : {}) };
      }
      throw e;
    } finally {
      this.running = undefined;
    }
  }
}
