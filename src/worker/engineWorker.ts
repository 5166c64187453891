/**
 * Entry point of the engine worker thread the extension starts. It owns the index, the watcher
 * and the embedding workers, so the extension host's main thread only passes messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isKindredError } from '../core/errors';
import type { FromEngine, RequestMessage } from '../shared/engineProtocol';
import { EngineService } from './engineService';

const port = parentPort!;
const post = (m: FromEngine): void => port.postMessage(m);
const service = new EngineService(post, (workerData as { bundledModelsDir?: string } | undefined)?.bundledModelsDir);

port.on('message', (msg: RequestMessage | { kind: 'shutdown' }) => {
  if (msg.kind === 'shutdown') {
    void service.dispose().finally(() => process.exit(0));
    return;
  }
  service.handle(msg.method, msg.params).then(
    (result) => post({ kind: 'response', id: msg.id, result }),
    (e: unknown) =>
      post({
        kind: 'response',
        id: msg.id,
        error: isKindredError(e) ? { code: e.code, message: e.message, fix: e.fix } : { message: e instanceof Error ? e.message : String(e) },
      }),
  );
});
