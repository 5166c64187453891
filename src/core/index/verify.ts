import { spawn } from 'node:child_process';

const CODE = `
let result;
try {
  const { DatabaseSync } = require(process.argv[1]);
  const db = new DatabaseSync(process.argv[2], { readOnly: true, timeout: 5000 });
  result = String(db.prepare('PRAGMA quick_check').get().quick_check);
  db.close();
  if (result === 'ok' && process.argv[3]) {
    // The HNSW snapshot: same checksum as graph.ts (CRC-32 where zlib has it, else SHA-1).
    const buf = require('node:fs').readFileSync(process.argv[3]);
    const crc32 = require('node:zlib').crc32;
    const sum = crc32 ? 'crc32:' + crc32(buf).toString(16) : 'sha1:' + require('node:crypto').createHash('sha1').update(buf).digest('hex');
    if (sum !== process.argv[4]) result = 'the vector snapshot ' + require('node:path').basename(process.argv[3]) + ' is damaged (checksum mismatch)';
  }
} catch (e) {
  result = String((e && e.message) || e);
}
process.stdout.write(result);
`;

/** A running background check: its result, and a way to stop it (when the index is closed first). */
export interface BackgroundCheck {
  result: Promise<string>;
  stop(): void;
}

/**
 * Runs `PRAGMA quick_check` on the database file, and verifies the HNSW snapshot's checksum, in a
 * child process (read-only connection), so
 * opening a big index does not wait for a read of every page, and closing it can stop the check at
 * once. Resolves to 'ok' or the first problem; a check that cannot run or is stopped resolves to 'ok (...)'.
 */
export function quickCheckInBackground(file: string, snapshot?: { file: string; checksum: string }): BackgroundCheck {
  const binding = require.resolve('@photostructure/sqlite');
  let stop = (): void => undefined;
  const result = new Promise<string>((resolve) => {
    try {
      const child = spawn(process.execPath, ['-e', CODE, binding, file, ...(snapshot ? [snapshot.file, snapshot.checksum] : [])], {
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        stdio: ['ignore', 'pipe', 'ignore'],
        windowsHide: true,
      });
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.once('error', (e) => resolve(`ok (the background check could not run: ${e.message})`));
      child.once('close', (code, signal) => resolve(signal ? 'ok (the background check was stopped)' : out || `ok (the background check exited with ${code})`));
      child.unref();
      (child.stdout as unknown as { unref?: () => void }).unref?.();
      stop = () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      };
    } catch (e) {
      resolve(`ok (the background check could not start: ${(e as Error).message})`);
    }
  });
  return { result, stop: () => stop() };
}
