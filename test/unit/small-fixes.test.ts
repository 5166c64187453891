import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { folderIndexOf } from '../../src/shared/paths';
import { PendingMessages } from '../../src/shared/pendingMessages';
import type { ToWebview } from '../../src/shared/webviewProtocol';
import { EngineService } from '../../src/worker/engineService';
import { testEngineConfig } from '../helpers/engineConfig';
import { makeTree, removeTree } from '../helpers/fixtures';

// Regression tests for the smaller bugs of issue 12.

test('a folder does not hold a sibling whose name starts with it (/a vs /a2); the deepest folder wins', () => {
  const folders = [{ path: '/w/a' }, { path: '/w/a2' }, { path: '/w/a/nested' }];
  assert.equal(folderIndexOf(folders, '/w/a2/x.ts'), 1);
  assert.equal(folderIndexOf(folders, '/w/a/x.ts'), 0);
  assert.equal(folderIndexOf(folders, '/w/a/nested/y.ts'), 2);
  assert.equal(folderIndexOf(folders, '/w/a'), 0);
  assert.equal(folderIndexOf(folders, '/w/b/z.ts'), -1);
  assert.equal(folderIndexOf([{ path: 'C:\\w\\a' }], 'C:\\w\\a2\\x.ts', path.win32), -1);
});

test('a hidden panel keeps a bounded queue: the latest status and index change, and at most 50 others', () => {
  const q = new PendingMessages<ToWebview>(new Set(['status', 'indexChanged']));
  for (let i = 0; i < 10_000; i++) {
    q.push({ type: 'indexChanged' });
    q.push({ type: 'status', status: { state: 'indexing', text: `${i}` } });
  }
  assert.equal(q.size, 2);
  for (let i = 0; i < 500; i++) q.push({ type: 'error', message: `e${i}` });
  assert.equal(q.size, 50);
  const out = q.drain();
  assert.equal((out.at(-1) as { message: string }).message, 'e499', 'the newest are kept');
  assert.equal(q.size, 0);
});

test('an update without a model does not count its unembedded chunks as reused', async () => {
  const root = makeTree({ 'a.ts': 'export function alpha(): number {\n  return 1;\n}\n', 'b.ts': 'export function beta(): number {\n  return 2;\n}\n' });
  const service = new EngineService(() => undefined);
  try {
    await service.handle('configure', testEngineConfig(root, 'r', path.join(root, '.idx'), { modelsDir: path.join(root, 'no-models'), exclude: ['.idx/'] }));
    const status = await service.handle('flush', {});
    assert.ok(status.folders[0].chunks >= 2);
    assert.equal(status.folders[0].embedded, 0);
    assert.equal(status.lastUpdate?.reused, 0, JSON.stringify(status.lastUpdate));
  } finally {
    await service.dispose();
    removeTree(root);
  }
});
