import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_MODEL_ID } from '../../src/core/embedding/models';
import { ModelRuntime } from '../../src/core/embedding/runtime';
import { isKindredError } from '../../src/core/errors';
import { evaluateCosqa, loadCosqaCorpus, loadCosqaQueries, pythonFunctionName } from '../../src/core/eval/cosqa';
import { embedCorpus, nearestRows, truncateToTokens } from '../../src/core/eval/embed';
import { defaultModelsDir } from '../../src/core/paths';
import { makeTree, removeTree, repoRoot } from '../helpers/fixtures';

const temps: string[] = [];
after(() => temps.forEach(removeTree));

/** A tiny dataset in CoSQA's format. */
function tinyCosqa(): string {
  const corpus = {
    'def read_file(path):\n    """Read a text file."""\n    with open(path) as f:\n        return f.read()': 0,
    'def sort_by_key(items, key):\n    return sorted(items, key=key)': 1,
    'def is_prime(n):\n    return n > 1 and all(n % d for d in range(2, int(n ** 0.5) + 1))': 2,
  };
  const queries = [
    { doc: 'python read file contents', retrieval_idx: '0' },
    { doc: 'sort a list by key', retrieval_idx: 1 },
    { doc: 'check prime number', retrieval_idx: '2' },
  ];
  const dir = makeTree({
    'code_idx_map.txt': JSON.stringify(corpus),
    'cosqa-retrieval-dev-500.json': JSON.stringify(queries),
    'cosqa-retrieval-test-500.json': JSON.stringify(queries.slice(0, 2)),
  });
  temps.push(dir);
  return dir;
}

test('the CoSQA loader reads the real set: 6,267 functions, 500 + 500 queries (reads ../shared/eval/cosqa)', async () => {
  const dir = path.resolve(repoRoot, '..', 'shared', 'eval', 'cosqa');
  assert.ok(existsSync(dir), `${dir} is missing`);
  const corpus = await loadCosqaCorpus(dir);
  assert.equal(corpus.length, 6267);
  assert.deepEqual([corpus[0].id, corpus[6266].id], [0, 6266]);
  const ids = new Set(corpus.map((f) => f.id));
  for (const split of ['dev', 'test'] as const) {
    const qs = await loadCosqaQueries(dir, split);
    assert.equal(qs.length, 500);
    assert.ok(qs.every((q) => ids.has(q.target) && q.query.length > 0));
  }
});

test('a missing data folder is a clear error', async () => {
  await assert.rejects(
    evaluateCosqa('/nonexistent/cosqa', undefined, { split: 'test', modes: ['bm25'] }),
    (e) => isKindredError(e) && e.code === 'not-found' && /--data/.test(e.toUserString()),
  );
});

test('bm25 on a tiny CoSQA-format set: ids as strings or numbers, every query scored', async () => {
  const dir = tinyCosqa();
  const report = await evaluateCosqa(dir, undefined, { split: 'dev', modes: ['bm25', 'vector'] });
  assert.equal(report.corpus, 3);
  assert.equal(report.queries, 3);
  assert.deepEqual(Object.keys(report.modes), ['bm25']); // vector needs a model
  assert.equal(report.modes.bm25!.mrr, 1);
  assert.equal(pythonFunctionName('    async def fetch_all(x):\n  pass'), 'fetch_all');
});

test('truncation keeps the longest prefix within the token budget', () => {
  const words = (t: string): number => t.split(/\s+/).filter(Boolean).length;
  assert.equal(truncateToTokens('a b c', 5, words), 'a b c');
  const cut = truncateToTokens('one two three four five six', 3, words);
  assert.equal(words(cut), 3);
  assert.ok(cut.startsWith('one two three'));
  assert.ok(!cut.includes('four'));
});

test('exact nearest rows by inner product', () => {
  const m = { dims: 2, data: Float32Array.from([1, 0, 0, 1, 0.6, 0.8]) };
  assert.deepEqual(
    nearestRows(m, Float32Array.from([0, 1]), 2).map((r) => r.index),
    [1, 2],
  );
});

test('corpus embeddings are cached on disk and read back identical', async () => {
  const cacheDir = makeTree({});
  temps.push(cacheDir);
  const runtime = await ModelRuntime.start({ modelId: DEFAULT_MODEL_ID, modelsDir: defaultModelsDir(), allowDownload: false, dtype: 'q8' }, 1);
  try {
    const texts = ['def add(a, b):\n    return a + b', 'x '.repeat(2000), 'read a file'];
    const first = await embedCorpus(runtime, texts, { cacheDir });
    assert.equal(first.cached, false);
    assert.equal(first.vectors.data.length, 3 * runtime.info.dims);
    const second = await embedCorpus(runtime, texts, { cacheDir });
    assert.equal(second.cached, true);
    assert.equal(second.cacheFile, first.cacheFile);
    assert.deepEqual(second.vectors.data, first.vectors.data);
    // A text longer than the model's limit is embedded as its first tokens, like the model would see it
    // (alone rather than in a batch, so int8 activations quantize a little differently: compare by cosine).
    const dims = runtime.info.dims;
    const [long] = await runtime.embedPassages([truncateToTokens('x '.repeat(2000), runtime.chunkTokens, (t) => runtime.countTokens(t))]);
    const cached = first.vectors.data.subarray(dims, 2 * dims);
    const cosine = long.reduce((s, x, i) => s + x * cached[i], 0);
    assert.ok(cosine > 0.99, `cosine ${cosine}`);
  } finally {
    await runtime.close();
  }
});
