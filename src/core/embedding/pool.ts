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

interface Pending {
  resolve(v: Float32Array[]): void;
  reject(e: Error): void;
  size: number;
}

interface Slot {
  worker: Worker;
  busy: number;
}

/**
 * Embedding off the caller's thread: `threads` workers, each with its own model session on
 * one core. Batches go to the least busy worker; results come back as transferred buffers.
 */
export class EmbeddingPool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  private constructor(readonly info: ModelInfo) {}

  static async start(source: ModelSource, threads = defaultThreads()): Promise<EmbeddingPool> {
    const script = path.join(__dirname, 'embedWorker.js');
    const workers = Math.max(1, Math.floor(threads));
    let pool: EmbeddingPool | undefined;
    const starts: Promise<ModelInfo>[] = [];
    const made: Worker[] = [];
    for (let i = 0; i < workers; i++) {
      const init: WorkerInit = { source, threads: 1 };
      const worker = new Worker(script, { workerData: init });
      made.push(worker);
      starts.push(
        new Promise<ModelInfo>((resolve, reject) => {
          const onMessage = (msg: FromWorker): void => {
            if (msg.type === 'ready') resolve(msg.info);
            else if (msg.type === 'error') reject(new KindredError((msg.code as ErrorCode) ?? 'model-broken', msg.message, msg.fix));
            worker.off('message', onMessage);
          };
          worker.on('message', onMessage);
          worker.once('error', reject);
        }),
      );
    }
    try {
      const infos = await Promise.all(starts);
      pool = new EmbeddingPool(infos[0]);
    } catch (e) {
      await Promise.all(made.map((w) => w.terminate()));
      throw e;
    }
    for (const worker of made) pool.attach(worker);
    return pool;
  }

  private attach(worker: Worker): void {
    const slot: Slot = { worker, busy: 0 };
    this.slots.push(slot);
    worker.on('message', (msg: FromWorker) => {
      if (msg.type === 'vectors') {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        slot.busy -= p.size;
        const out: Float32Array[] = [];
        for (let i = 0; i < msg.data.length / msg.dims; i++) out.push(msg.data.subarray(i * msg.dims, (i + 1) * msg.dims));
        p.resolve(out);
      } else if (msg.type === 'error' && msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        slot.busy -= p.size;
        p.reject(new KindredError((msg.code as ErrorCode) ?? 'model-broken', msg.message, msg.fix));
      }
    });
    worker.on('error', (e) => this.failAll(e));
    worker.on('exit', (code) => {
      if (!this.closed) this.failAll(new Error(`embedding worker exited with code ${code}`));
    });
  }

  private failAll(e: Error): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(e);
    }
  }

  get workers(): number {
    return this.slots.length;
  }

  /** Embeds texts that already carry the model's prefix. */
  embed(texts: string[]): Promise<Float32Array[]> {
    if (this.closed) return Promise.reject(new Error('embedding pool is closed'));
    if (texts.length === 0) return Promise.resolve([]);
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    const size = texts.reduce((n, t) => n + t.length, 0);
    slot.busy += size;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, size });
      const msg: ToWorker = { type: 'embed', id, texts };
      slot.worker.postMessage(msg);
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
    this.failAll(new Error('embedding pool closed'));
  }
}
