import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { KindredError, type ErrorCode } from '../errors';
import type { ModelInfo } from './models';
import type { FromWorker, ToWorker, WorkerInit } from './protocol';
import type { ModelSource } from './transformers';

/** Default embedding threads: every core but one, so the machine stays responsive. */
export function defaultThreads(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, cores - 1);
}

/** A job whose worker died is sent to another worker this many times at most, then fails. */
const MAX_ATTEMPTS = 2;
/** Dead workers are replaced at most this many times per pool (a model that kills every worker is not retried forever). */
const MAX_RESPAWNS = 8;

interface Job {
  id: number;
  texts: string[];
  /** Characters in the batch: the load it puts on its worker. */
  size: number;
  attempts: number;
  slot: Slot | undefined;
  resolve(v: Float32Array[]): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  /** Characters queued on this worker (sum of its jobs' sizes). */
  busy: number;
  jobs: Set<Job>;
  /** Set once the worker has gone (exited, crashed, terminated). */
  dead: boolean;
}

/**
 * Embedding off the caller's thread: `threads` workers, each with its own model session on
 * one core. Batches go to the least busy worker; results come back as transferred buffers.
 * A worker that dies is replaced; its jobs go to another worker once, then fail.
 *
 * (piscina was considered: its tasks are stateless function calls, while each of these workers
 * loads a model session once and must report a load failure with its code before taking work.)
 */
export class EmbeddingPool {
  private readonly slots: Slot[] = [];
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;
  private closed = false;
  private respawns = 0;

  private constructor(
    readonly info: ModelInfo,
    private readonly init: WorkerInit,
  ) {}

  static async start(source: ModelSource, threads = defaultThreads()): Promise<EmbeddingPool> {
    const init: WorkerInit = { source, threads: 1 };
    const made: Worker[] = [];
    const starts: Promise<ModelInfo>[] = [];
    for (let i = 0; i < Math.max(1, Math.floor(threads)); i++) {
      const worker = spawn(init);
      made.push(worker);
      starts.push(whenReady(worker));
    }
    let infos: ModelInfo[];
    try {
      infos = await Promise.all(starts);
    } catch (e) {
      await Promise.all(made.map((w) => w.terminate()));
      throw e;
    }
    const pool = new EmbeddingPool(infos[0], init);
    for (const worker of made) pool.attach(worker);
    return pool;
  }

  private attach(worker: Worker): Slot {
    const slot: Slot = { worker, busy: 0, jobs: new Set(), dead: false };
    this.slots.push(slot);
    worker.on('message', (msg: FromWorker) => {
      if (msg.type !== 'vectors' && !(msg.type === 'error' && msg.id !== undefined)) return;
      const job = this.jobs.get(msg.id!);
      if (!job || job.slot !== slot) return;
      this.settle(job);
      if (msg.type === 'vectors') {
        const out: Float32Array[] = [];
        for (let i = 0; i < msg.data.length / msg.dims; i++) out.push(msg.data.subarray(i * msg.dims, (i + 1) * msg.dims));
        job.resolve(out);
      } else {
        job.reject(new KindredError((msg.code as ErrorCode) ?? 'model-broken', msg.message, msg.fix));
      }
    });
    // 'error' (an uncaught exception in the worker) is followed by 'exit'; both mean the worker is gone.
    worker.on('error', (e) => this.lost(slot, e));
    worker.on('exit', (code) => this.lost(slot, new Error(`embedding worker exited with code ${code}`)));
    return slot;
  }

  /** A job is done: it leaves its worker's queue and load. */
  private settle(job: Job): void {
    this.jobs.delete(job.id);
    if (job.slot) {
      job.slot.busy -= job.size;
      job.slot.jobs.delete(job);
      job.slot = undefined;
    }
  }

  /** A worker died: it leaves the pool, a replacement starts, and its jobs go elsewhere (once). */
  private lost(slot: Slot, e: Error): void {
    if (slot.dead) return;
    slot.dead = true;
    this.slots.splice(this.slots.indexOf(slot), 1);
    void slot.worker.terminate(); // a worker that failed to load the model is still running
    const orphans = [...slot.jobs];
    slot.jobs.clear();
    slot.busy = 0;
    if (this.closed) {
      for (const job of orphans) {
        this.jobs.delete(job.id);
        job.reject(new Error('embedding pool closed'));
      }
      return;
    }
    if (this.respawns < MAX_RESPAWNS) {
      this.respawns++;
      const worker = spawn(this.init);
      const replacement = this.attach(worker);
      // Until it is ready, jobs posted to it wait in its message queue.
      whenReady(worker).catch((err: Error) => this.lost(replacement, err));
    }
    for (const job of orphans) {
      job.slot = undefined;
      if (job.attempts >= MAX_ATTEMPTS || this.slots.length === 0) {
        this.jobs.delete(job.id);
        job.reject(new KindredError('model-broken', `An embedding worker stopped (${e.message}) while embedding a batch.`, 'The batch is retried on the next update.'));
      } else {
        this.dispatch(job);
      }
    }
  }

  private dispatch(job: Job): void {
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    job.attempts++;
    job.slot = slot;
    slot.busy += job.size;
    slot.jobs.add(job);
    const msg: ToWorker = { type: 'embed', id: job.id, texts: job.texts };
    slot.worker.postMessage(msg);
  }

  get workers(): number {
    return this.slots.length;
  }

  /** Characters queued over all workers (0 when idle); tests check it stays exact. */
  get load(): number {
    return this.slots.reduce((n, s) => n + s.busy, 0);
  }

  /** The worker threads (tests end one to check the pool survives it). */
  get threads(): readonly Worker[] {
    return this.slots.map((s) => s.worker);
  }

  /** Embeds texts that already carry the model's prefix. */
  embed(texts: string[]): Promise<Float32Array[]> {
    if (this.closed) return Promise.reject(new Error('embedding pool is closed'));
    if (texts.length === 0) return Promise.resolve([]);
    if (this.slots.length === 0) return Promise.reject(new KindredError('model-broken', 'Every embedding worker stopped.', 'Reload the window to start them again.'));
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, texts, size: texts.reduce((n, t) => n + t.length, 0), attempts: 0, slot: undefined, resolve, reject };
      this.jobs.set(job.id, job);
      this.dispatch(job);
    });
  }

  embedQuery(text: string): Promise<Float32Array> {
    return this.embed([this.info.queryPrefix + text]).then((v) => v[0]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => void s.worker.terminate().then(() => resolve()), 2000);
            s.worker.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            const msg: ToWorker = { type: 'shutdown' };
            s.worker.postMessage(msg);
          }),
      ),
    );
    for (const job of this.jobs.values()) job.reject(new Error('embedding pool closed'));
    this.jobs.clear();
  }
}

function spawn(init: WorkerInit): Worker {
  // A small young generation: each call leaves a little garbage (tokens, output tensors) that a 4 MB
  // nursery collects as often as needed, instead of growing to V8's default (~50 MB per worker, resident).
  return new Worker(path.join(__dirname, 'embedWorker.js'), { workerData: init, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
}

/** Resolves with the model's info when the worker has loaded it; rejects with the worker's reason. */
function whenReady(worker: Worker): Promise<ModelInfo> {
  return new Promise<ModelInfo>((resolve, reject) => {
    const onMessage = (msg: FromWorker): void => {
      if (msg.type !== 'ready' && !(msg.type === 'error' && msg.id === undefined)) return;
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      if (msg.type === 'ready') resolve(msg.info);
      else reject(new KindredError((msg.code as ErrorCode) ?? 'model-broken', msg.message, msg.fix));
    };
    const onExit = (code: number): void => {
      worker.off('message', onMessage);
      reject(new Error(`embedding worker exited with code ${code} while loading the model`));
    };
    worker.on('message', onMessage);
    worker.once('exit', onExit);
    worker.once('error', reject);
  });
}
