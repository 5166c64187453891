/**
 * The messages between the engine and its embedding workers. Vectors travel as one transferable
 * Float32Array per batch (n × dims), so no copy is made and no JSON is built.
 */
import type { ModelSource } from './transformers';
import type { ModelInfo } from './models';

export interface WorkerInit {
  source: ModelSource;
  /** onnxruntime intra-op threads inside this worker. */
  threads: number;
}

/**
 * `die` makes the worker exit with code 1 at its next safe point, losing every batch it holds (as a crash
 * would), without tearing onnxruntime down mid-inference; with `onNextBatch` it exits when the next batch
 * arrives instead. The pool's handling of dead workers is tested with it.
 */
export type ToWorker = { type: 'embed'; id: number; texts: string[] } | { type: 'shutdown' } | { type: 'die'; onNextBatch?: boolean };

export type FromWorker =
  | { type: 'ready'; info: ModelInfo }
  | { type: 'vectors'; id: number; data: Float32Array; dims: number }
  | { type: 'error'; id?: number; code?: string; message: string; fix?: string };
