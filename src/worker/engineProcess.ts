/**
 * Entry point of the engine process the extension forks (src/extension/engineConnection.ts): it
 * owns the indexes, the watcher and the embedding workers, so a native crash or an out-of-memory
 * in them ends this process, not the extension host. It runs at a lower CPU priority than the
 * editor and exits when the extension host goes away.
 */
import * as os from 'node:os';
import type { FromEngine, ToEngine } from '../shared/engineProtocol';
import { createDispatcher } from './dispatcher';
import { EngineService } from './engineService';

// Before any thread starts: on Linux a thread inherits the priority of the thread that creates it,
// so the libuv pool, the embedding workers and onnxruntime's threads all run below the editor.
try {
  os.setPriority(0, os.constants.priority.PRIORITY_BELOW_NORMAL);
} catch {
  // not permitted here (some containers): run at normal priority
}

if (!process.send) {
  process.stderr.write('engineProcess must be started with child_process.fork (an IPC channel).\n');
  process.exit(2);
}
const send = process.send.bind(process);
const post = (m: FromEngine): void => {
  if (process.connected) send(m);
};
const service = new EngineService(post, process.env.KINDRED_BUNDLED_MODELS || undefined);
const dispatch = createDispatcher(service, post);

let exiting = false;
const exit = (): void => {
  if (exiting) return;
  exiting = true;
  const forced = setTimeout(() => process.exit(0), 5000);
  forced.unref();
  void service.dispose().finally(() => process.exit(0));
};

process.on('message', (msg: ToEngine) => {
  if (!dispatch(msg)) exit();
});
// The extension host is gone (closed, crashed): nobody is left to answer.
process.on('disconnect', exit);
