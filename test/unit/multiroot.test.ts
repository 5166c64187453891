import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { EngineConfig, EventMessage } from '../../src/shared/engineProtocol';
import { EngineService } from '../../src/worker/engineService';
import { testEngineConfig } from '../helpers/engineConfig';
import { makeTree, removeTree } from '../helpers/fixtures';

// A multi-root workspace is searched as one corpus: the query is embedded once, and one ranking
// over every folder's candidates decides, so a folder with nothing relevant does not put its
// "best" hit at the top just because scores were normalised within each folder.

let tmp: string;
let service: EngineService;
const events: EventMessage[] = [];

before(async () => {
  tmp = makeTree({
    'app/src/retry.ts':
      'export async function uploadWithRetry(url: string, body: Buffer, attempts = 3): Promise<void> {\n  for (let i = 0; i < attempts; i++) {\n    try {\n      await fetch(url, { method: "PUT", body });\n      return;\n    } catch {\n      await new Promise((r) => setTimeout(r, 2 ** i * 100));\n    }\n  }\n  throw new Error("upload failed");\n}\n',
    'app/src/colors.ts': 'export const palette = ["red", "green", "blue"];\n',
    'lib/src/geometry.ts': 'export function areaOfCircle(radius: number): number {\n  return Math.PI * radius * radius;\n}\n',
    'lib/src/strings.ts': 'export function capitalize(word: string): string {\n  return word.charAt(0).toUpperCase() + word.slice(1);\n}\n',
  });
  service = new EngineService((e) => events.push(e));
  const config: EngineConfig = {
    ...testEngineConfig(path.join(tmp, 'lib'), 'lib', path.join(tmp, 'idx')),
    folders: [
      { path: path.join(tmp, 'lib'), name: 'lib' },
      { path: path.join(tmp, 'app'), name: 'app' },
    ],
  };
  await service.handle('configure', config);
  const st = await service.handle('flush', {});
  assert.equal(st.folders.length, 2);
  for (const f of st.folders) assert.equal(f.embedded, f.chunks);
});

after(async () => {
  await service?.dispose();
  removeTree(tmp);
});

test('multi-root search embeds the query once and ranks all folders together', async () => {
  const runtime = service.engineFor(path.join(tmp, 'lib'))!.runtime!;
  const embedQuery = runtime.embedQuery.bind(runtime);
  let queries = 0;
  runtime.embedQuery = (t: string) => {
    queries++;
    return embedQuery(t);
  };
  for (const mode of ['hybrid', 'vector'] as const) {
    queries = 0;
    const hits = await service.handle('search', { query: 'retry a failed upload with exponential backoff', k: 4, mode });
    assert.equal(queries, 1, `${mode}: one embedding for ${2} folders`);
    assert.equal(hits[0]?.path, 'src/retry.ts', `${mode}: ${JSON.stringify(hits.map((h) => [h.folder, h.path, h.score]))}`);
    assert.equal(hits[0].folder, 1);
    // The other folder's best (unrelated) hit does not tie with the answer.
    const otherBest = hits.find((h) => h.folder === 0);
    if (otherBest) assert.ok(otherBest.score < hits[0].score * 0.9, `${mode}: ${otherBest.path} ${otherBest.score} vs ${hits[0].score}`);
    // Hits keep the merged order, each with its own folder's preview and snippet.
    for (let i = 1; i < hits.length; i++) assert.ok(hits[i].score <= hits[i - 1].score, `${mode}: rank order`);
    for (const h of hits) {
      const file = readFileSync(path.join(tmp, h.folder === 1 ? 'app' : 'lib', h.path), 'utf8').split('\n');
      const range = file.slice(h.startLine - 1, h.endLine);
      assert.ok(range.some((l) => l.trim() === h.preview.replace(/\.\.\.$/, '') || l.includes(h.preview.replace(/\.\.\.$/, ''))), `${mode}: preview of ${h.path}`);
      assert.ok(h.snippet && range.join('\n').includes(h.snippet.split('\n')[0]), `${mode}: snippet of ${h.path}`);
    }
  }
});

test('multi-root search applies the ranking stack across folders: a symbol query finds its definition in the other folder', async () => {
  const hits = await service.handle('search', { query: 'areaOfCircle', k: 4, mode: 'hybrid' });
  assert.equal(hits[0]?.path, 'src/geometry.ts', JSON.stringify(hits.map((h) => [h.folder, h.path, h.symbol])));
  assert.equal(hits[0].folder, 0);
  assert.equal(hits[0].symbol, 'areaOfCircle');
});

test('a watcher error is shown in the status with the fix, and a periodic rescan takes over', async () => {
  const watcher = (service as unknown as { watcher: { watcher: { emit(e: string, err: Error): void } } }).watcher.watcher;
  watcher.emit('error', Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' }));
  const st = await service.handle('status', {});
  assert.equal(st.error?.code, 'watcher-failed');
  assert.match(st.error?.message ?? '', /rescan every 5 minutes/);
  assert.match(st.error?.fix ?? '', /max_user_watches/);
  assert.equal(st.state, 'idle', 'search keeps working');
  assert.equal(events.filter((e) => e.event === 'log' && e.message.includes('file watcher failed')).length, 1);
});
