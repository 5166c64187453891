/**
 * The relevance floor (src/core/ranking/floor.ts) and the search a person reads (Engine.answer): a query with
 * no good semantic match says so and shows keyword hits instead of ranked noise; hits carry a calibrated 0–1
 * relevance, never a raw score; snippets are cut around the lines that matched.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Engine } from '../../src/core/engine';
import { CALIBRATIONS, judgeMatch, matchFeatures, relevanceOf } from '../../src/core/ranking/floor';
import { snippetWindow } from '../../src/core/ranking/snippet';
import { answerWorkspace } from '../../src/worker/workspaceSearch';
import { removeTree, copyWorkspaceFixture } from '../helpers/fixtures';

const MINILM = 'Xenova/all-MiniLM-L6-v2';

test('the floor: at or above it a match is good, below it none; a model without a measured floor is unmeasured', () => {
  const floor = CALIBRATIONS[MINILM].floor;
  assert.equal(judgeMatch(MINILM, floor), 'good');
  assert.equal(judgeMatch(MINILM, floor - 0.001), 'none');
  assert.equal(judgeMatch(MINILM, undefined), 'none', 'no vector at all is no match');
  assert.equal(judgeMatch('Xenova/bge-small-en-v1.5', 0.1), 'unmeasured');
});

test('relevance is 0 at the floor, 1 at a strong match, clipped, and undefined for an uncalibrated model', () => {
  const { floor, strong } = CALIBRATIONS[MINILM];
  assert.equal(relevanceOf(MINILM, floor), 0);
  assert.equal(relevanceOf(MINILM, floor - 0.2), 0);
  assert.equal(relevanceOf(MINILM, strong), 1);
  assert.equal(relevanceOf(MINILM, 0.99), 1);
  assert.equal(relevanceOf(MINILM, (floor + strong) / 2), 0.5);
  assert.equal(relevanceOf('custom/model', 0.9), undefined);
  assert.deepEqual(matchFeatures([]), { best: 0, gap: 0 });
  const f = matchFeatures([0.6, ...Array.from({ length: 49 }, () => 0.2)]);
  assert.equal(f.best, 0.6);
  assert.ok(Math.abs(f.gap - 0.4) < 1e-9);
});

test('a snippet is cut around the lines holding query words, else it is the first lines', () => {
  const lines = Array.from({ length: 40 }, (_, i) => `  const x${i} = ${i};`);
  lines[0] = '';
  lines[30] = '  const cookie = parseCookie(header);';
  lines[32] = '  res.setHeader("Set-Cookie", cookie);';
  const w = snippetWindow(lines, 'set a cookie header', 8);
  assert.ok(w.start <= 30 && w.end > 32 && w.end - w.start === 8, JSON.stringify(w));
  assert.deepEqual(w.matched, [30, 32]);
  const none = snippetWindow(lines, 'zebra', 8);
  assert.deepEqual([none.start, none.end], [1, 9], 'leading blank line skipped');
  const short = snippetWindow(['a', 'b cookie'], 'cookie', 8);
  assert.deepEqual([short.start, short.end], [0, 2]);
});

let tmp: string;
let engine: Engine;

before(async () => {
  let folder: string;
  let indexDir: string;
  ({ tmp, folder, indexDir } = copyWorkspaceFixture('kindred-floor-'));
  engine = await Engine.open({ folder, indexDir, threads: 1 });
  await engine.update();
});

after(async () => {
  await engine?.close();
  removeTree(tmp);
});

test('a real query is a good match: the hybrid ranking, hits with a calibrated relevance in 0..1', async () => {
  const a = await engine.answer('read the contents of a file from disk', { k: 5 });
  assert.equal(a.match, 'good');
  assert.ok(a.bestCosine! >= CALIBRATIONS[MINILM].floor, String(a.bestCosine));
  assert.equal(a.hits[0].path, 'src/fileUtils.ts');
  assert.equal(a.hits[0].symbol, 'readTextFile');
  for (const h of a.hits) assert.ok(h.relevance === undefined || (h.relevance >= 0 && h.relevance <= 1), JSON.stringify(h));
  assert.ok(a.hits[0].relevance! > 0, 'the answer has a visible bar');
});

test('a nonsense query has no good match: keyword hits only, without relevance', async () => {
  const a = await engine.answer('purple elephant dancing on the moon', { k: 5 });
  assert.equal(a.match, 'none');
  assert.ok(a.bestCosine! < CALIBRATIONS[MINILM].floor);
  for (const h of a.hits) assert.equal(h.relevance, undefined);
  // The hits it shows are the keyword hits (none of these words is in the fixture: no hits at all).
  const bm25 = await engine.search('purple elephant dancing on the moon', { k: 5, mode: 'bm25' });
  assert.deepEqual(a.hits.map((h) => h.id), bm25.map((h) => h.id));
});

test('the workspace answer filters tests out and by path glob, and centres snippets on the matched lines', async () => {
  const folders = [{ path: engine.folder, engine }];
  const all = await answerWorkspace(folders, engine.runtime, 'sort an array', 10, undefined);
  assert.ok(all.hits.some((h) => h.path.startsWith('src/legacy/')), JSON.stringify(all.hits.map((h) => h.path)));
  const onlyLegacy = await answerWorkspace(folders, engine.runtime, 'sort an array', 10, { path: 'src/legacy' });
  assert.ok(onlyLegacy.hits.length > 0 && onlyLegacy.hits.every((h) => h.path.startsWith('src/legacy/')), JSON.stringify(onlyLegacy.hits.map((h) => h.path)));
  const top = all.hits[0];
  assert.ok(top.snippetStartLine! >= top.startLine && top.snippetStartLine! <= top.endLine, JSON.stringify(top));
  for (const l of top.matchedLines ?? []) assert.ok(l >= top.snippetStartLine! && l < top.snippetStartLine! + 8);
});
