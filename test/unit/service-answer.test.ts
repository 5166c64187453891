/**
 * The engine service's requests behind the new UI (issue 16): `answer` (include-tests and path filters,
 * partial while chunks wait for vectors, keyword-only without a model), `details` (Show Index Status),
 * `models` (installed or bundled), and the log lines each update writes.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EventMessage, WorkspaceAnswer, IndexDetails, ModelChoice } from '../../src/shared/engineProtocol';
import { EngineService } from '../../src/worker/engineService';
import { defaultModelsDir } from '../../src/core/paths';
import { testEngineConfig } from '../helpers/engineConfig';
import { makeTree, removeTree, TWO_FUNCTIONS } from '../helpers/fixtures';

let root: string;
let tmp: string;
let service: EngineService;
const logs: string[] = [];

before(async () => {
  root = makeTree({
    ...TWO_FUNCTIONS,
    'ws/test/upload.test.ts': "import { uploadWithRetry } from '../src/upload';\ntest('uploadWithRetry retries three times', () => uploadWithRetry('a'));\n",
  });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'kindred-answer-'));
  service = new EngineService((e: EventMessage) => {
    if (e.event === 'log') logs.push(e.message);
  });
  await service.handle('configure', testEngineConfig(path.join(root, 'ws'), 'ws', tmp));
  await service.handle('flush', {});
});

after(async () => {
  await service?.dispose();
  removeTree(root);
  removeTree(tmp);
});

test('answer: tests can be left out, and a path glob keeps only what it matches', async () => {
  const all = (await service.handle('answer', { query: 'upload with retry', k: 10 })) as WorkspaceAnswer;
  assert.ok(all.hits.some((h) => h.path === 'test/upload.test.ts'), JSON.stringify(all.hits.map((h) => h.path)));
  const noTests = (await service.handle('answer', { query: 'upload with retry', k: 10, filter: { includeTests: false } })) as WorkspaceAnswer;
  assert.ok(noTests.hits.length > 0 && !noTests.hits.some((h) => h.path.startsWith('test/')), JSON.stringify(noTests.hits.map((h) => h.path)));
  const onlyMath = (await service.handle('answer', { query: 'upload with retry', k: 10, filter: { path: 'src/math.ts, *.md' } })) as WorkspaceAnswer;
  assert.ok(onlyMath.hits.every((h) => h.path === 'src/math.ts'), JSON.stringify(onlyMath.hits.map((h) => h.path)));
  assert.equal(all.partial, undefined);
  assert.equal(all.keywordOnly, undefined);
});

test('details: the folder, its index directory and the indexes on disk, with the model in use', async () => {
  const d = (await service.handle('details', {})) as IndexDetails;
  assert.equal(d.folders.length, 1);
  const f = d.folders[0];
  assert.equal(f.files, 3);
  assert.ok(f.chunks >= 3 && f.embedded === f.chunks && f.bytesOnDisk > 0);
  assert.ok(f.indexes.some((i) => i.dir === f.storeDir && i.model?.id === 'Xenova/all-MiniLM-L6-v2'), JSON.stringify(f.indexes));
  assert.ok(f.lastUpdatedAt !== undefined);
  assert.equal(d.status.modelLoaded, true);
});

test('models: the default model is installed in the models folder; an absent one is not', async () => {
  const models = (await service.handle('models', {})) as ModelChoice[];
  const minilm = models.find((m) => m.id === 'Xenova/all-MiniLM-L6-v2' && m.dtype === 'q8');
  assert.equal(minilm?.installed, 'local', `${defaultModelsDir()}: ${JSON.stringify(models)}`);
  // A models folder that holds nothing: every model is missing (and the service runs degraded from here on).
  await service.handle('configure', testEngineConfig(path.join(root, 'ws'), 'ws', tmp, { modelsDir: path.join(tmp, 'no-models') }));
  const none = (await service.handle('models', {})) as ModelChoice[];
  assert.ok(none.every((m) => m.installed === undefined), JSON.stringify(none));
});

test('without a model: keyword-only answers that name the model, and a status that says it is not loaded', async () => {
  const a = (await service.handle('answer', { query: 'upload with retry', k: 10 })) as WorkspaceAnswer;
  assert.deepEqual(a.keywordOnly, { model: 'Xenova/all-MiniLM-L6-v2', reason: 'missing' });
  assert.equal(a.match, 'keyword-only');
  assert.ok(a.hits.every((h) => h.relevance === undefined));
  const d = (await service.handle('details', {})) as IndexDetails;
  assert.equal(d.status.modelLoaded, false);
});

test('each update logs its start and its end with counts, duration and rate', () => {
  assert.ok(logs.some((l) => l === 'Updating ws: full scan.'), logs.join('\n'));
  assert.ok(logs.some((l) => /^Updated ws in \d+\.\d s: 3 files and \d+ chunks in the index; \d+ chunks embedded \([\d.]+\/s\), 0 files removed, 0 skipped\.$/.test(l)), logs.join('\n'));
});
