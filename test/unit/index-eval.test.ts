/**
 * Evaluate Search Quality on the index (evaluateIndex): the index's own vectors are reused — only the mined
 * queries and the documented chunks (their comment blanked out) are embedded —, it refuses below 30 pairs and
 * says why, an index still being embedded is refused, and a cancelled run stops.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../src/core/engine';
import { evaluateIndex, MIN_EVAL_PAIRS } from '../../src/core/eval/indexEval';
import { isKindredError } from '../../src/core/errors';
import { removeTree, repoRoot } from '../helpers/fixtures';

let tmp: string;
let express: Engine;
let small: Engine;

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'kindred-index-eval-'));
  for (const name of ['express', 'workspace']) cpSync(path.join(repoRoot, 'test/fixtures', name), path.join(tmp, name), { recursive: true });
  express = await Engine.open({ folder: path.join(tmp, 'express'), indexDir: path.join(tmp, 'index-express'), threads: 1 });
  await express.update();
  small = await Engine.open({ folder: path.join(tmp, 'workspace'), indexDir: path.join(tmp, 'index-ws') }, express.runtime);
  await small.update();
});

after(async () => {
  await small?.close();
  await express?.close();
  removeTree(tmp);
});

test('Express: every mode is scored from the index vectors; only documented chunks are embedded again', async () => {
  const phases = new Set<string>();
  const report = await evaluateIndex(express, 'express', { onProgress: (p) => phases.add(p) });
  assert.ok(report.pairs >= MIN_EVAL_PAIRS, `${report.pairs} pairs`);
  assert.equal(report.corpus, express.index.chunks.size, 'the corpus is the index');
  const f = report.fromIndex!;
  assert.equal(f.reusedVectors + f.embeddedPassages, report.corpus);
  assert.equal(f.skippedFiles, 0);
  // What is embedded again is the chunks that held a mined doc comment (Express documents much of lib/: 89 of
  // 231 chunks); every other vector comes from the index.
  assert.ok(f.embeddedPassages > 0 && f.embeddedPassages < report.corpus / 2, JSON.stringify(f));
  assert.ok(f.reusedVectors > f.embeddedPassages, JSON.stringify(f));
  for (const mode of ['bm25', 'vector', 'hybrid', 'hybrid+stack'] as const) {
    const mrr = report.modes[mode]!.mrr;
    assert.ok(mrr > 0 && mrr <= 1, `${mode} MRR ${mrr}`);
  }
  assert.deepEqual([...phases].sort(), ['embedding', 'mining', 'ranking']);
});

test('fewer than 30 pairs: refused, saying how many there are and why that is too few', async () => {
  await assert.rejects(evaluateIndex(small, 'widgets'), (e) => {
    assert.ok(isKindredError(e) && e.code === 'eval-too-few-pairs', String(e));
    assert.match(e.message, /^Only \d+ documented functions? .* found in widgets; at least 30 are needed/);
    assert.match(e.message, /moves the score by up to 0\.\d\d/);
    return true;
  });
});

test('a cancelled evaluation stops with an AbortError', async () => {
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(evaluateIndex(express, 'express', { signal: ac.signal }), (e) => (e as Error).name === 'AbortError');
});
