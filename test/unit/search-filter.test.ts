/**
 * The panel's search filter through the engine protocol: a folder or glob and "include tests", for one
 * folder and for a multi-root workspace (where the path is relative to each folder).
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { EngineConfig } from '../../src/shared/engineProtocol';
import { EngineService } from '../../src/worker/engineService';
import { hitFilter } from '../../src/worker/workspaceSearch';
import { testEngineConfig } from '../helpers/engineConfig';
import { makeTree, removeTree } from '../helpers/fixtures';

const RETRY = 'export async function uploadWithRetry(url: string, attempts = 3): Promise<void> {\n  for (let i = 0; i < attempts; i++) {\n    try {\n      await fetch(url, { method: "PUT" });\n      return;\n    } catch {\n      await new Promise((r) => setTimeout(r, 2 ** i * 100));\n    }\n  }\n}\n';
const RETRY_TEST = 'import { uploadWithRetry } from "../src/upload";\ntest("upload retries with backoff after a failure", async () => {\n  await uploadWithRetry("http://x", 3);\n});\n';
const RETRY_TOO = 'export function retryDownload(url: string, tries = 5) {\n  // retry the download with exponential backoff\n  return tries > 0 ? fetch(url).catch(() => retryDownload(url, tries - 1)) : Promise.reject(new Error(url));\n}\n';

let tmp: string;
let one: EngineService;
let two: EngineService;
const Q = 'retry an upload with exponential backoff';

before(async () => {
  tmp = makeTree({
    'a/src/upload.ts': RETRY,
    'a/test/upload.test.ts': RETRY_TEST,
    'a/lib/net/download.ts': RETRY_TOO,
    'b/src/other.ts': RETRY_TOO.replace('retryDownload', 'retryFetch'),
    'b/test/other.test.ts': RETRY_TEST,
  });
  one = new EngineService(() => undefined);
  await one.handle('configure', testEngineConfig(path.join(tmp, 'a'), 'a', path.join(tmp, 'idx1')));
  await one.handle('flush', {});
  two = new EngineService(() => undefined);
  const config: EngineConfig = {
    ...testEngineConfig(path.join(tmp, 'a'), 'a', path.join(tmp, 'idx2')),
    folders: [
      { path: path.join(tmp, 'a'), name: 'a' },
      { path: path.join(tmp, 'b'), name: 'b' },
    ],
  };
  await two.handle('configure', config);
  await two.handle('flush', {});
});

after(async () => {
  await one?.dispose();
  await two?.dispose();
  removeTree(tmp);
});

test('hitFilter: folders, globs and tests', () => {
  assert.equal(hitFilter(undefined), undefined);
  assert.equal(hitFilter({ path: ' ', includeTests: true }), undefined);
  const lib = hitFilter({ path: 'lib' })!;
  assert.ok(lib('lib/net/download.ts') && !lib('src/upload.ts'));
  const ts = hitFilter({ path: '*.ts', includeTests: false })!;
  assert.ok(ts('src/upload.ts') && !ts('test/upload.test.ts') && !ts('README.md'));
});

test('one folder: without a filter the test is a hit; "include tests" off drops it; a folder keeps only its files', async () => {
  const all = await one.handle('search', { query: Q, k: 10 });
  assert.ok(all.some((h) => h.path === 'test/upload.test.ts'), JSON.stringify(all.map((h) => h.path)));
  const noTests = await one.handle('search', { query: Q, k: 10, filter: { includeTests: false } });
  assert.ok(noTests.length > 0 && noTests.every((h) => !h.path.startsWith('test/')), JSON.stringify(noTests.map((h) => h.path)));
  const inLib = await one.handle('search', { query: Q, k: 10, filter: { path: 'lib/' } });
  assert.deepEqual([...new Set(inLib.map((h) => h.path))], ['lib/net/download.ts']);
  assert.ok(inLib[0].snippet.includes('retryDownload'), 'filtered hits still have their snippet');
});

test('multi-root: the filter applies to paths relative to each folder', async () => {
  const src = await two.handle('search', { query: Q, k: 10, filter: { path: 'src' } });
  assert.deepEqual(new Set(src.map((h) => `${h.folder}:${h.path}`)), new Set(['0:src/upload.ts', '1:src/other.ts']));
  const noTests = await two.handle('search', { query: Q, k: 10, filter: { includeTests: false } });
  assert.ok(noTests.length >= 3 && noTests.every((h) => !h.path.startsWith('test/')), JSON.stringify(noTests.map((h) => h.path)));
});
