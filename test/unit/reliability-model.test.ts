import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { APPROXIMATE_TOKEN_MARGIN, approximateTokens } from '../../src/core/embedding/approximate';
import { Engine } from '../../src/core/engine';
import { isKindredError } from '../../src/core/errors';
import type { Logger } from '../../src/core/log';
import { defaultModelsDir } from '../../src/core/paths';
import type { EngineConfig, EngineStatus, EventMessage, WorkspaceHit } from '../../src/shared/engineProtocol';
import { EngineService } from '../../src/worker/engineService';
import { runCli } from '../helpers/cli';
import { DEFAULT_MODEL_ID } from '../../src/core/embedding/models';
import { testEngineConfig } from '../helpers/engineConfig';
import { removeTree, copyWorkspaceFixture } from '../helpers/fixtures';
import { realTokenizer } from '../helpers/model';

// Without a usable model (missing, or broken) Kindred degrades instead of dying: the index and keyword
// (BM25) search keep working, the status says what is wrong and how to fix it (once), vector and
// hybrid search fall back to BM25, and the chunks are embedded once the model is there.

let tmp: string;
let folder: string;
let noModels: string;
let brokenModels: string;

before(() => {
  ({ tmp, folder } = copyWorkspaceFixture('kindred-nomodel-'));
  noModels = path.join(tmp, 'no-models');
  mkdirSync(noModels);
  // A broken model: the real tokenizer and config, but weights that are not an ONNX graph.
  brokenModels = path.join(tmp, 'broken-models');
  const real = path.join(defaultModelsDir(), DEFAULT_MODEL_ID);
  const broken = path.join(brokenModels, DEFAULT_MODEL_ID);
  mkdirSync(path.join(broken, 'onnx'), { recursive: true });
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) copyFileSync(path.join(real, f), path.join(broken, f));
  writeFileSync(path.join(broken, 'onnx', 'model_quantized.onnx'), Buffer.alloc(4096, 7));
});

after(() => removeTree(tmp));

function config(modelsDir: string | undefined, indexRoot: string): EngineConfig {
  return testEngineConfig(folder, 'ws', indexRoot, { modelsDir });
}

test('the engine service without a model: bm25 search answers, the error is reported once, status is degraded not dead', async () => {
  const events: EventMessage[] = [];
  const service = new EngineService((e) => events.push(e));
  const indexRoot = path.join(tmp, 'indexes-service');
  try {
    const status = (await service.handle('configure', config(noModels, indexRoot))) as EngineStatus;
    assert.notEqual(status.state, 'error');
    assert.equal(status.error?.code, 'model-missing');
    assert.match(status.error!.message, /is not in .*no-models.*Searching by keywords only\./);
    // The service is the editor's engine: its fix speaks of the editor's commands and settings, not the command line.
    assert.match(status.error!.fix!, /Kindred: Select Embedding Model.*kindred\.allowModelDownload/);
    assert.doesNotMatch(status.error!.fix!, /npm run setup|--allow-download/);

    const flushed = (await service.handle('flush', {})) as EngineStatus;
    assert.equal(flushed.state, 'idle');
    assert.equal(flushed.error?.code, 'model-missing', 'the degraded state stays visible after indexing');
    assert.ok(flushed.folders[0].files >= 10 && flushed.folders[0].chunks >= 12, JSON.stringify(flushed.folders));
    assert.equal(flushed.folders[0].embedded, 0);

    const bm25 = (await service.handle('search', { query: 'readTextFile', k: 3, mode: 'bm25' })) as WorkspaceHit[];
    assert.equal(bm25[0]?.path, 'src/fileUtils.ts');
    assert.equal(bm25[0]?.symbol, 'readTextFile');
    assert.match(bm25[0].snippet, /readTextFile/);
    for (const mode of ['hybrid', 'vector'] as const) {
      const hits = (await service.handle('search', { query: 'upload with retry', k: 3, mode })) as WorkspaceHit[];
      assert.equal(hits[0]?.path, 'src/upload.py', `${mode} falls back to keywords`);
    }
    const similar = (await service.handle('similar', { path: path.join(folder, 'src/sorting.c'), startLine: 10, endLine: 26, k: 3 })) as WorkspaceHit[];
    assert.ok(similar.some((h) => h.path === 'src/legacy/sort_copy.c'), `find-similar falls back to keywords too: ${JSON.stringify(similar.map((h) => h.path))}`);
    assert.ok(!similar.some((h) => h.path === 'src/sorting.c' && h.startLine <= 26 && h.endLine >= 10), 'the selection itself is excluded');

    // Sending the same settings again (a settings event) does not repeat the warning.
    await service.handle('configure', config(noModels, indexRoot));
    await service.handle('flush', {});
    const warnings = events.filter((e) => e.event === 'log' && e.level === 'warn');
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.ok(!/\n/.test((warnings[0] as { message: string }).message));
    assert.ok(!events.some((e) => e.event === 'status' && e.status.state === 'error'), 'never a dead engine');

    // The model arrives (the user fixed the setting): the same index is kept and its chunks embedded.
    const healed = (await service.handle('configure', config(undefined, indexRoot))) as EngineStatus;
    assert.equal(healed.error, undefined);
    const done = (await service.handle('flush', {})) as EngineStatus;
    assert.equal(done.folders[0].embedded, done.folders[0].chunks);
    const vector = (await service.handle('search', { query: 'read the contents of a file from disk', k: 1, mode: 'vector' })) as WorkspaceHit[];
    assert.equal(vector[0]?.symbol, 'readTextFile');
    assert.equal(service.engineFor(folder)!.index.checkIntegrity(), undefined);
  } finally {
    await service.dispose();
  }
});

test('Engine.open with allowMissingModel: a broken model degrades the same way (model-broken), once in the log', async () => {
  const warns: string[] = [];
  const infos: string[] = [];
  const logger: Logger = { info: (m) => infos.push(m), warn: (m) => warns.push(m) };
  const indexDir = path.join(tmp, 'index-broken');
  await assert.rejects(Engine.open({ folder, indexDir, modelsDir: brokenModels, threads: 1 }), (e: unknown) => isKindredError(e) && e.code === 'model-broken');
  const engine = await Engine.open({ folder, indexDir, modelsDir: brokenModels, threads: 1, logger, allowMissingModel: true });
  try {
    assert.equal(engine.degraded?.code, 'model-broken');
    assert.equal(warns.length, 1);
    assert.match(warns[0], /failed to load.*keywords \(BM25\) only/);
    const s = await engine.update();
    assert.equal(s.embedded, 0);
    assert.ok(s.chunks >= 12);
    const hits = await engine.search('check whether a number is prime', { k: 3 });
    assert.equal(hits[0]?.symbol, 'IsPrime');
    await engine.search('another query', { mode: 'vector' });
    assert.equal(infos.filter((m) => /showing keyword \(BM25\) results/.test(m)).length, 1, 'the fallback is noted once');
    const stats = await engine.stats();
    assert.match(stats.degraded ?? '', /failed to load/);
    assert.equal(stats.vectors, 0);
    assert.equal(warns.length, 1);
  } finally {
    await engine.close();
  }
});

test('CLI: `search --mode bm25` without a model answers with one warning; `index` without a model fails clearly', async () => {
  const indexDir = path.join(tmp, 'index-cli');
  const search = await runCli(['search', folder, 'quicksort', '--mode', 'bm25', '--json', '--index-dir', indexDir, '--models-dir', noModels]);
  assert.equal(search.code, 0, search.stderr);
  const { results } = JSON.parse(search.stdout) as { results: { path: string }[] };
  assert.ok(['src/sorting.c', 'src/legacy/sort_copy.c'].includes(results[0]?.path), search.stdout);
  const lines = search.stderr.trim().split('\n');
  assert.equal(lines.length, 1, search.stderr);
  assert.match(lines[0], /^warning: Model "Xenova\/all-MiniLM-L6-v2" is not in .* Run `npm run setup`.*keywords \(BM25\) only/);

  const hybrid = await runCli(['search', folder, 'sort an array', '--json', '--index-dir', indexDir, '--models-dir', noModels]);
  assert.equal(hybrid.code, 0, hybrid.stderr);
  assert.ok((JSON.parse(hybrid.stdout) as { results: unknown[] }).results.length > 0);

  const index = await runCli(['index', folder, '--index-dir', indexDir, '--models-dir', noModels]);
  assert.equal(index.code, 1);
  assert.match(index.stderr, /^kindred: Model "Xenova\/all-MiniLM-L6-v2" is not in .*npm run setup/);
  assert.ok(!/\n\s+at /.test(index.stderr));
});

test('the approximate token counter (no model) stays within its margin of the real tokenizer on code and prose', async () => {
  const tok = await realTokenizer();
  const samples: string[] = [];
  for (const f of ['src/fileUtils.ts', 'src/upload.py', 'src/UserRepository.java', 'src/sorting.c', 'docs/guide.md', 'src/mathUtils.go', 'src/cache.ts']) {
    const text = readFileSync(path.join(folder, f), 'utf8');
    samples.push(text, ...text.split('\n').filter((l) => l.trim()));
  }
  samples.push('données naïves: 文件 名称', 'x = 0x7fffffff; y = 1234567890;');
  let approx = 0;
  let real = 0;
  for (const s of samples) {
    const a = approximateTokens(s);
    const r = tok.count(s);
    approx += a;
    real += r;
    assert.ok(a >= r * APPROXIMATE_TOKEN_MARGIN, `${a} approximate tokens for ${r} real ones in ${JSON.stringify(s.slice(0, 60))}`);
  }
  assert.ok(approx > real * 1.1, `approximate ${approx}, real ${real}`);
});
