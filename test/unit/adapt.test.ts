import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ADAPTER_FORMAT,
  adapterPath,
  applyLinear,
  decodeAdapter,
  encodeAdapter,
  identity,
  loadAdapter,
  QueryAdapter,
  saveAdapter,
  type AdapterHeader,
} from '../../src/core/adapt/adapter';
import { capPerFile, dedupePairs, mineTrainingPairs, proseSections, splitByFile, symbolWords, testCases, type TrainingPair } from '../../src/core/adapt/pairs';
import { countChangedFiles, fingerprintFiles, retrainSuggested } from '../../src/core/adapt/drift';
import { batchLoss, retrievalMetrics, trainAdapter, trainAdapterAsync, type Matrix } from '../../src/core/adapt/train';
import { seededRandom } from '../../src/core/cluster/vecmath';
import { isKindredError } from '../../src/core/errors';
import { makeTree, removeTree } from '../helpers/fixtures';

function unitRows(n: number, d: number, rnd: () => number): Matrix {
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let j = 0; j < d; j++) {
      const x = rnd() * 2 - 1;
      data[i * d + j] = x;
      norm += x * x;
    }
    for (let j = 0; j < d; j++) data[i * d + j] /= Math.sqrt(norm);
  }
  return { dims: d, data };
}

/** Passages p_i and queries q_i = A p_i with A a signed permutation: the right adapter is W = A⁻¹ = Aᵀ. */
function syntheticTask(): { queries: Matrix; passages: Matrix; targets: number[]; a: Float32Array } {
  const d = 8;
  const n = 96;
  const passages = unitRows(n, d, seededRandom(7));
  const perm = [3, 0, 6, 1, 7, 2, 5, 4];
  const sign = [1, -1, 1, 1, -1, 1, -1, 1];
  const a = new Float32Array(d * d);
  perm.forEach((j, i) => (a[i * d + j] = sign[i]));
  const queries = new Float32Array(n * d);
  for (let i = 0; i < n; i++) queries.set(applyLinear(a, passages.data.subarray(i * d, (i + 1) * d)), i * d);
  return { queries: { dims: d, data: queries }, passages, targets: Array.from({ length: n }, (_, i) => i), a };
}

test('the trainer learns a known linear map: the loss falls and retrieval goes from poor to exact', () => {
  const { queries, passages, targets, a } = syntheticTask();
  const d = queries.dims;
  const all = targets.map((_, i) => i);
  const lossBefore = batchLoss(identity(d), queries, passages, all, targets, 0.05);
  const before = retrievalMetrics(queries, passages, targets);
  const r = trainAdapter(queries, passages, targets, { seed: 3, l2: 0, learningRate: 0.05, batchSize: 16, maxEpochs: 60 });
  const lossAfter = batchLoss(r.weights, queries, passages, all, targets, 0.05);
  const after = retrievalMetrics(queries, passages, targets, r.weights);
  assert.ok(before.MRR < 0.5, `identity should be poor on the permuted task: ${before.MRR}`);
  assert.ok(lossAfter < lossBefore / 4, `loss ${lossBefore} -> ${lossAfter}`);
  assert.ok(r.losses[r.losses.length - 1] < r.losses[0], `epoch losses ${r.losses[0]} -> ${r.losses[r.losses.length - 1]}`);
  assert.ok(after.MRR > 0.95, `MRR after training: ${after.MRR}`);
  // The learned W points like Aᵀ: W·A is close to a positive multiple of the identity (cosine with I).
  let diag = 0;
  let norm = 0;
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += r.weights[i * d + k] * a[k * d + j];
      if (i === j) diag += s;
      norm += s * s;
    }
  assert.ok(diag / (Math.sqrt(norm) * Math.sqrt(d)) > 0.9, `W·A is not close to the identity: ${diag / (Math.sqrt(norm) * Math.sqrt(d))}`);
});

test('training is deterministic for a seed; early stopping keeps the best validation epoch', () => {
  const { queries, passages, targets } = syntheticTask();
  const opts = { seed: 5, l2: 0.001, learningRate: 0.02, batchSize: 16, maxEpochs: 8 };
  const r1 = trainAdapter(queries, passages, targets, opts);
  const r2 = trainAdapter(queries, passages, targets, opts);
  assert.deepEqual(Array.from(r1.weights), Array.from(r2.weights));
  // A validation score that only gets worse after epoch 0: the identity is kept and training stops after `patience` epochs.
  let calls = 0;
  const r3 = trainAdapter(queries, passages, targets, { ...opts, patience: 2, validate: () => -calls++ });
  assert.equal(r3.bestEpoch, 0);
  assert.deepEqual(Array.from(r3.weights), Array.from(identity(queries.dims)));
  assert.equal(r3.losses.length, 2);
});

function header(over: Partial<AdapterHeader> = {}): AdapterHeader {
  return { format: ADAPTER_FORMAT, model: 'Xenova/all-MiniLM-L6-v2', dtype: 'q8', dims: 3, enabled: true, createdAt: '2026-11-27T00:00:00.000Z', report: { pairs: 7 }, ...over };
}

test('the adapter file round-trips; a damaged file or another model is not used', async () => {
  const w = new Float32Array([1, 0.5, -2, 0, 1, 3.25, 1e-7, 0, 1]);
  const a = new QueryAdapter(header(), w);
  const back = decodeAdapter(encodeAdapter(a));
  assert.deepEqual(back.header, a.header);
  assert.deepEqual(Array.from(back.weights), Array.from(w));

  const dir = mkdtempSync(path.join(os.tmpdir(), 'kindred-adapter-'));
  try {
    const file = await saveAdapter(dir, a);
    assert.equal(file, adapterPath(dir, a.header));
    const loaded = await loadAdapter(dir, { model: 'Xenova/all-MiniLM-L6-v2', dtype: 'q8', dims: 3 });
    assert.deepEqual(Array.from(loaded!.weights), Array.from(w));
    assert.equal(await loadAdapter(dir, { model: 'Xenova/all-MiniLM-L6-v2', dtype: 'fp32', dims: 3 }), undefined);
    assert.equal(await loadAdapter(dir, { model: 'other/model', dtype: 'q8', dims: 3 }), undefined);

    const bytes = encodeAdapter(a);
    assert.throws(() => decodeAdapter(bytes.subarray(0, bytes.length - 4)), (e) => isKindredError(e) && /expected 9 weights/.test(e.message));
    const wrongMagic = Buffer.from(bytes);
    wrongMagic.write('XXXX', 0, 'latin1');
    assert.throws(() => decodeAdapter(wrongMagic), (e) => isKindredError(e) && /bad magic/.test(e.message));
    const future = encodeAdapter(new QueryAdapter(header({ format: ADAPTER_FORMAT + 1 }), w));
    assert.throws(() => decodeAdapter(future), (e) => isKindredError(e) && /format 2/.test(e.message));
    // A damaged file on disk: reported, ignored.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, bytes.subarray(0, 20));
    const errors: unknown[] = [];
    assert.equal(await loadAdapter(dir, a.header, (e) => errors.push(e)), undefined);
    assert.equal(errors.length, 1);
  } finally {
    removeTree(dir);
  }
});

test('applying W normalises; identity leaves a unit query as it is', () => {
  const q = new Float32Array([0.6, 0.8, 0]);
  assert.deepEqual(Array.from(applyLinear(identity(3), q)), Array.from(q));
  const out = applyLinear(new Float32Array([2, 0, 0, 0, 0, 0, 0, 0, 0]), q);
  assert.deepEqual(Array.from(out), [1, 0, 0]);
});

function pair(file: string, query: string, target: string, kind: TrainingPair['kind'] = 'doc'): TrainingPair {
  return { kind, query, target, file, startLine: 1, endLine: 2 };
}

test('pairs split by file: no file in two parts, the same split for the same seed', () => {
  const pairs: TrainingPair[] = [];
  for (let f = 0; f < 40; f++) for (let i = 0; i <= f % 4; i++) pairs.push(pair(`src/f${f}.ts`, `query ${f} ${i}`, `target ${f} ${i}`));
  const s = splitByFile(pairs, { seed: 1, random: seededRandom });
  const filesOf = (ps: TrainingPair[]): Set<string> => new Set(ps.map((p) => p.file));
  const [tr, va, ho] = [filesOf(s.train), filesOf(s.validation), filesOf(s.heldOut)];
  for (const f of tr) assert.ok(!va.has(f) && !ho.has(f), `${f} in two parts`);
  for (const f of va) assert.ok(!ho.has(f), `${f} in two parts`);
  assert.equal(s.train.length + s.validation.length + s.heldOut.length, pairs.length);
  assert.ok(s.heldOut.length >= 0.25 * pairs.length && s.validation.length >= 0.15 * pairs.length && s.train.length > 0.4 * pairs.length);
  assert.deepEqual(splitByFile(pairs, { seed: 1, random: seededRandom }), s);
  assert.notDeepEqual(splitByFile(pairs, { seed: 2, random: seededRandom }).heldOut, s.heldOut);
});

test('de-duplication drops ambiguous queries; the per-file cap takes the kinds in turn', () => {
  const d = dedupePairs([pair('a.ts', 'Open the file', 'x'), pair('b.ts', 'open the file', 'y'), pair('a.ts', 'close it now', 'z'), pair('c.ts', 'Close it now', 'z')]);
  assert.deepEqual(
    d.map((p) => `${p.file}:${p.query}`),
    ['a.ts:close it now'],
  );
  const many = [
    ...Array.from({ length: 10 }, (_, i) => pair('big.ts', `symbol ${i}`, `t${i}`, 'symbol')),
    pair('big.ts', 'doc one here', 'd1', 'doc'),
    pair('big.ts', 'test one here', 'd2', 'test'),
    pair('small.ts', 'doc two here', 'd3', 'doc'),
  ];
  const capped = capPerFile(many, 4);
  assert.equal(capped.filter((p) => p.file === 'big.ts').length, 4);
  assert.deepEqual(new Set(capped.filter((p) => p.file === 'big.ts').map((p) => p.kind)), new Set(['symbol', 'doc', 'test']));
  assert.ok(capped.some((p) => p.file === 'small.ts'));
});

test('mining finds the four kinds: doc comments, headings, tests and names', async () => {
  const root = makeTree({
    'src/range.ts': [
      '/** Parses a line range such as 10-20 into numbers. */',
      'export function parseRange(spec: string): [number, number] {',
      "  const [a, b] = spec.split('-');",
      '  return [Number(a), Number(b)];',
      '}',
      '',
      'export function mergeOverlappingRanges(ranges: [number, number][]): [number, number][] {',
      '  return ranges.sort((x, y) => x[0] - y[0]);',
      '}',
      '',
    ].join('\n'),
    'test/range.test.ts': [
      "import { parseRange } from '../src/range';",
      "describe('ranges', () => {",
      "  it('rejects a range whose end comes first', () => {",
      "    expect(() => parseRange('9-3')).toThrow();",
      '  });',
      '});',
      '',
    ].join('\n'),
    'README.md': '# Range tools\n\nSome text that explains how ranges are parsed and merged, long enough to be a real section.\n\n## Short\n\ntiny\n',
  });
  try {
    const mined = await mineTrainingPairs(root);
    const by = (k: string): string[] => mined.pairs.filter((p) => p.kind === k).map((p) => p.query);
    assert.deepEqual(by('doc'), ['Parses a line range such as 10-20 into numbers.']);
    assert.deepEqual(by('heading'), ['Range tools']);
    assert.deepEqual(by('test'), ['rejects a range whose end comes first']);
    assert.ok(by('symbol').includes('merge overlapping ranges'), by('symbol').join('|'));
    const doc = mined.pairs.find((p) => p.kind === 'doc')!;
    assert.ok(!doc.target.includes('Parses a line range'), 'the doc comment is blanked out of its target');
    assert.ok(doc.target.includes('function parseRange'));
    const t = mined.pairs.find((p) => p.kind === 'test')!;
    assert.equal(t.file, 'src/range.ts', 'a test pair belongs to the file of the function under test');
    assert.deepEqual(mined.kinds, { doc: 1, heading: 1, test: 1, symbol: by('symbol').length });
  } finally {
    removeTree(root);
  }
});

test('small helpers: symbol words, Markdown and reStructuredText sections, Python tests', async () => {
  assert.equal(symbolWords('Engine.parseHTTPRequest'), 'parse http request');
  assert.equal(symbolWords('read_text_file'), 'read text file');
  const md = proseSections('# Title one\n\n```\n# not a heading, inside a fence\n```\nBody text that is long enough to count as a section body, surely.\n', 'markdown');
  assert.equal(md.length, 1);
  assert.equal(md[0].heading, 'Title one');
  // reStructuredText (Sphinx docs): underlined and overlined titles, a link in a title, a transition that is no title.
  const rst = proseSections(
    [
      '==========',
      'Quickstart',
      '==========',
      '',
      'Eager to get started? This page gives a good introduction to the framework.',
      '',
      'Routing with `decorators <routing_>`_',
      '-------------------------------------',
      '',
      'Use the route decorator to bind a function to a URL, as in every small application.',
      '',
      '----',
      '',
      'After a transition the section goes on with more text about routes and views.',
    ].join('\n'),
    'rst',
  );
  assert.deepEqual(
    rst.map((r) => [r.heading, r.startLine]),
    [
      ['Quickstart', 4],
      ['Routing with decorators', 9],
    ],
  );
  assert.match(rst[1].body, /After a transition/);
  const py = await testCases('tests/test_math.py', 'def test_adds_two_numbers():\n    assert add_numbers(1, 2) == 3\n');
  assert.deepEqual(py, [{ description: 'adds two numbers', context: [], calls: ['add_numbers'] }]);
});

test('kindred adapt: a missing folder or a bad seed is a clear error, nothing is written', async () => {
  const { main } = await import('../../src/cli/main');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kindred-adapt-cli-'));
  const written: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    assert.equal(await main(['adapt', path.join(dir, 'missing'), '--index-dir', path.join(dir, 'idx')]), 1);
    assert.equal(await main(['adapt', dir, '--seed', 'x', '--index-dir', path.join(dir, 'idx')]), 1);
    assert.equal(await main(['adapt']), 1);
  } finally {
    process.stderr.write = orig;
  }
  assert.match(written.join(''), /does not exist or is not a directory/);
  assert.match(written.join(''), /--seed must be an integer/);
  assert.match(written.join(''), /adapt takes <folder>/);
  const { existsSync } = await import('node:fs');
  assert.equal(existsSync(path.join(dir, 'idx')), false);
  removeTree(dir);
});

test('files changed since training: edits, additions and removals count once each; the offer needs 20% and at least 5 files', () => {
  const trained = fingerprintFiles([
    { path: 'a.ts', hash: '3:AAAAAAAAAAaaaaaaaaaa' },
    { path: 'b.ts', hash: '3:BBBBBBBBBBbbbbbbbbbb' },
    { path: 'c.ts', hash: '3:CCCCCCCCCCcccccccccc' },
  ]);
  assert.deepEqual(trained, { 'a.ts': 'aaaaaaaaaa', 'b.ts': 'bbbbbbbbbb', 'c.ts': 'cccccccccc' });
  // Re-chunked only (another chunking version, same text): not a change.
  assert.equal(countChangedFiles(trained, [{ path: 'a.ts', hash: '4:AAAAAAAAAAaaaaaaaaaa' }, { path: 'b.ts', hash: '3:BBBBBBBBBBbbbbbbbbbb' }, { path: 'c.ts', hash: '3:CCCCCCCCCCcccccccccc' }]), 0);
  // b edited, c removed, d added; a "constructor" file is not mistaken for an inherited property.
  assert.equal(countChangedFiles(trained, [{ path: 'a.ts', hash: '3:AAAAAAAAAAaaaaaaaaaa' }, { path: 'b.ts', hash: '3:BBBBBBBBBBxxxxxxxxxx' }, { path: 'd.ts', hash: '3:DDDDDDDDDDdddddddddd' }, { path: 'constructor', hash: 'x' }]), 4);
  assert.equal(retrainSuggested(4, 10), false, 'fewer than 5 files never');
  assert.equal(retrainSuggested(5, 10), true);
  assert.equal(retrainSuggested(19, 100), false);
  assert.equal(retrainSuggested(20, 100), true);
});

test('trainAdapterAsync gives the same weights as trainAdapter, and stops when cancelled between batches', async () => {
  const { queries, passages, targets } = syntheticTask();
  const opts = { seed: 3, l2: 0, learningRate: 0.05, batchSize: 16, maxEpochs: 5 };
  const sync = trainAdapter(queries, passages, targets, opts);
  const async_ = await trainAdapterAsync(queries, passages, targets, opts);
  assert.deepEqual(Array.from(async_.weights), Array.from(sync.weights));
  let batches = 0;
  const cut = await trainAdapterAsync(queries, passages, targets, { ...opts, cancelled: () => ++batches > 3 });
  assert.equal(cut.epochs, 0, '96 pairs in batches of 16: cancelled inside the first epoch');
});
