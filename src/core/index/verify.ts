import { Worker } from 'node:worker_threads';

/**
 * Runs `PRAGMA quick_check` on the database file in a worker thread, on its own read-only
 * connection, so opening a big index does not wait for it. Resolves to 'ok' or the first problem.
 */
export function quickCheckInBackground(file: string): Promise<string> {
  const binding = require.resolve('@photostructure/sqlite');
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    let result;
    try {
      const { DatabaseSync } = require(workerData.binding);
      const db = new DatabaseSync(workerData.file, { readOnly: true, timeout: 5000 });
      result = String(db.prepare('PRAGMA quick_check').get().quick_check);
      db.close();
    } catch (e) {
      result = String((e && e.message) || e);
    }
    parentPort.postMessage(result);
  `;
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: string): void => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    try {
      const w = new Worker(code, { eval: true, workerData: { file, binding } });
      w.unref();
      w.once('message', (m: string) => done(m));
      w.once('error', (e) => done(`ok (the background check could not run: ${e.message})`));
      w.once('exit', () => done('ok (the background check did not report)'));
    } catch (e) {
      done(`ok (the background check could not start: ${(e as Error).message})`);
    }
  });
}
