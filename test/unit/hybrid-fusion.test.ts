import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IndexStore } from '../../src/core/index/store';
import { dedupeOverlapping, fuseHybrid, HYBRID_FUSION, normalizedScoreFusion, rank, type Ranked } from '../../src/core/search';
import { reciprocalRankFusion } from '../../src/core/eval/tune';

const ids = (r: Ranked[]): number[] => r.map((h) => h.id);
const near = (r: Ranked[], id: number, score: number): void => {
  const h = r.find((x) => x.id === id);
  assert.ok(h && Math.abs(h.score - score) < 1e-9, `id ${id}: ${h?.score} != ${score}`);
};

const vector: Ranked[] = [
  { id: 1, score: 0.9 },
  { id: 2, score: 0.8 },
  { id: 3, score: 0.5 },
];
const lexical: Ranked[] = [
  { id: 3, score: 12 },
  { id: 2, score: 6 },
  { id: 4, score: 2 },
];

test('normalized score fusion: min-max per list, weighted sum, absent counts 0', () => {
  // vector normalized: 1, .75, 0; lexical normalized: 1, .4, 0.
  const fused = normalizedScoreFusion([
    { hits: vector, weight: 0.7 },
    { hits: lexical, weight: 0.3 },
  ]);
  assert.deepEqual(ids(fused), [1, 2, 3, 4]);
  near(fused, 1, 0.7);
  near(fused, 2, 0.7 * 0.75 + 0.3 * 0.4);
  near(fused, 3, 0.3);
  near(fused, 4, 0);
});

test('a list of one hit (or equal scores) gives each hit the full weight', () => {
  const fused = normalizedScoreFusion([
    { hits: [], weight: 0.7 },
    { hits: [{ id: 5, score: 3 }], weight: 0.3 },
  ]);
  assert.deepEqual(fused, [{ id: 5, score: 0.3 }]);
});

test('hybrid fusion of a prose query follows the tuned weights; an identifier-like query leans on BM25', () => {
  assert.deepEqual(ids(fuseHybrid('parse the config file', lexical, vector)), [1, 2, 3, 4]);
  // Identifier weight .35: id3 = .65, id2 = .35*.75 + .65*.4 = .5225, id1 = .35.
  const ident = fuseHybrid('parseConfig', lexical, vector);
  assert.deepEqual(ids(ident), [3, 2, 1, 4]);
  near(ident, 2, 0.35 * 0.75 + 0.65 * 0.4);
});

test('hybrid fusion takes only `depth` hits from each list', () => {
  const long = Array.from({ length: 10 }, (_, i) => ({ id: 100 + i, score: 10 - i }));
  const fused = fuseHybrid('a query in words', long, [], { ...HYBRID_FUSION, depth: 3 });
  assert.deepEqual(ids(fused), [100, 101, 102]);
});

test('unlike rank fusion, the score gap counts: a near-tie in one list does not outweigh a clear lead in the other', () => {
  const v: Ranked[] = [
    { id: 1, score: 0.61 },
    { id: 2, score: 0.6 },
    { id: 3, score: 0.2 },
  ];
  const l: Ranked[] = [
    { id: 2, score: 20 },
    { id: 3, score: 2 },
    { id: 1, score: 1 },
  ];
  assert.equal(fuseHybrid('words only here', l, v)[0].id, 2);
  // Rank fusion with the vector list weighted higher keeps id 1 first: ranks alone say 1 > 2 in the vector list.
  assert.equal(reciprocalRankFusion([{ hits: v, weight: 1 }, { hits: l, weight: 0.5 }], 60)[0].id, 1);
});

test('the product ranks hybrid search through the same fusion function', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kindred-hybrid-'));
  const store = IndexStore.create(dir, dir, { id: 'test', dtype: 'q8', dims: 2 });
  const records = store.setFile({ path: 'a.ts', size: 1, mtimeMs: 1, hash: 'h' }, [
    { startLine: 1, endLine: 2, symbol: 'readFile', hash: 'a', text: 'function readFile(path) { return fs.readFileSync(path) }' },
    { startLine: 4, endLine: 5, symbol: 'writeFile', hash: 'b', text: 'function writeFile(path, data) { fs.writeFileSync(path, data) }' },
    { startLine: 7, endLine: 8, symbol: 'sortList', hash: 'c', text: 'function sortList(items) { return items.sort() }' },
  ]);
  const unit = (x: number, y: number): Float32Array => Float32Array.from([x / Math.hypot(x, y), y / Math.hypot(x, y)]);
  store.addVector(records[0].id, unit(1, 0.2));
  store.addVector(records[1].id, unit(1, 0.6));
  store.addVector(records[2].id, unit(0, 1));
  const q = unit(1, 0.5);
  const query = 'write the file';
  const expected = dedupeOverlapping(store, fuseHybrid(query, store.lexical.search(query, 200), store.nearest(q, 200)), 3);
  // Without the ranking stack, hybrid search is exactly the fusion (deduplicated); the stack re-ranks that list.
  assert.deepEqual(rank(store, query, q, { k: 3, mode: 'hybrid', stack: false }), expected);
  assert.equal(expected[0].id, records[1].id);
  assert.equal(rank(store, query, q, { k: 3, mode: 'hybrid' })[0].id, records[1].id);
});
