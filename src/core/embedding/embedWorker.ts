/** Entry point of an embedding worker thread: loads the model once, then embeds batches on request. */
import { parentPort, workerData } from 'node:worker_threads';
import { isKindredError } from '../errors';
import type { FromWorker, ToWorker, WorkerInit } from './protocol';
import { loadModel } from './transformers';

const port = parentPort!;
const init = workerData as WorkerInit;

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

function failure(e: unknown, id?: number): FromWorker {
  if (isKindredError(e)) return { type: 'error', id, code: e.code, message: e.message, fix: e.fix };
  return { type: 'error', id, message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
}

loadModel(init.source, init.threads).then(
  (model) => {
    post({ type: 'ready', info: model.info });
    // Batches are handled one at a time, in order: the pool keeps each worker's queue short.
    let chain = Promise.resolve();
    let dying = false;
    let armed = false;
    port.on('message', (msg: ToWorker) => {
      if (msg.type === 'shutdown') {
        chain = chain.then(() => model.dispose()).finally(() => process.exit(0));
        return;
      }
      const die = (): void => {
        dying = true;
        chain = chain.then(() => model.dispose()).finally(() => process.exit(1));
      };
      if (msg.type === 'die') {
        if (msg.onNextBatch) armed = true;
        else die();
        return;
      }
      if (armed && !dying) die();
      chain = chain.then(async () => {
        if (dying) return;
        try {
          const vectors = await model.embed(msg.texts);
          const dims = vectors[0]?.length ?? model.info.dims;
          const data = new Float32Array(vectors.length * dims);
          vectors.forEach((v, i) => data.set(v, i * dims));
          if (dying) return;
          post({ type: 'vectors', id: msg.id, data, dims }, [data.buffer as ArrayBuffer]);
        } catch (e) {
          post(failure(e, msg.id));
        }
      });
    });
  },
  (e) => {
    post(failure(e));
  },
);
