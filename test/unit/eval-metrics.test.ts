import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { MRR_CUTOFF, ndcgAt, rankOf, recallAt, reciprocalRank, summarize } from '../../src/core/eval/metrics';

const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} != ${b}`);

test('rankOf is the 1-based position of the first relevant item', () => {
  assert.equal(rankOf([7, 3, 9], (id) => id === 9), 3);
  assert.equal(rankOf([7, 3, 9], (id) => id === 7), 1);
  assert.equal(rankOf([7, 3, 9], (id) => id === 4), undefined);
  assert.equal(rankOf([7, 3, 9, 3], (id) => id === 3 || id === 9), 2);
});

test('per-query metrics: reciprocal rank with the 1000 cutoff, recall@k, nDCG@k with one relevant document', () => {
  assert.equal(reciprocalRank(1), 1);
  assert.equal(reciprocalRank(4), 0.25);
  assert.equal(reciprocalRank(undefined), 0);
  assert.equal(MRR_CUTOFF, 1000);
  assert.equal(reciprocalRank(1000), 0.001);
  assert.equal(reciprocalRank(1001), 0);
  assert.equal(recallAt(5, 5), 1);
  assert.equal(recallAt(6, 5), 0);
  assert.equal(recallAt(undefined, 10), 0);
  assert.equal(ndcgAt(1, 10), 1);
  close(ndcgAt(3, 10), 0.5, 'nDCG at rank 3 = 1/log2(4)');
  close(ndcgAt(2, 10), 1 / Math.log2(3), 'nDCG at rank 2');
  assert.equal(ndcgAt(11, 10), 0);
});

test('summarize averages over queries (hand-computed values)', () => {
  // Ranks 1, 2, missing, 4, 20.
  const m = summarize([1, 2, undefined, 4, 20]);
  close(m.mrr, (1 + 0.5 + 0 + 0.25 + 0.05) / 5, 'MRR'); // 0.36
  close(m.mrr, 0.36, 'MRR literal');
  close(m['recall@1'], 0.2, 'R@1');
  close(m['recall@5'], 0.6, 'R@5');
  close(m['recall@10'], 0.6, 'R@10');
  close(m['ndcg@10'], (1 + 1 / Math.log2(3) + 1 / Math.log2(5)) / 5, 'nDCG@10'); // 0.41232...
  assert.ok(Math.abs(m['ndcg@10'] - 0.412322) < 1e-6);
  const perfect = summarize([1, 1, 1]);
  assert.deepEqual(perfect, { mrr: 1, 'recall@1': 1, 'recall@5': 1, 'recall@10': 1, 'ndcg@10': 1 });
  assert.equal(summarize([]).mrr, 0);
});
