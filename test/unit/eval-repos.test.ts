/** The repository-set metric, as ../shared/eval/repos/README.md defines it (NDCG@10 over chunks, targets by path suffix). */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ndcgAt10, pathMatches } from '../../src/core/eval/repos';

const hit = (path: string, startLine = 1, endLine = 10) => ({ path, startLine, endLine });

test('paths match by suffix at a folder boundary, either way round', () => {
  assert.ok(pathMatches('web_response.py', 'aiohttp/web_response.py'));
  assert.ok(pathMatches('src/main/java/org/X.java', 'org/X.java'));
  assert.ok(!pathMatches('my_web_response.py', 'web_response.py'));
});

test('one target: gain at the rank of its first chunk; later chunks of the same file add nothing', () => {
  assert.equal(ndcgAt10([hit('a.py'), hit('a.py')], ['a.py']), 1);
  assert.equal(ndcgAt10([hit('b.py'), hit('a.py')], ['a.py']), 1 / Math.log2(3));
  assert.equal(ndcgAt10([hit('b.py')], ['a.py']), 0);
});

test('two targets: ten chunks of one file find at most one of them', () => {
  const idcg = 1 + 1 / Math.log2(3);
  assert.equal(ndcgAt10(Array.from({ length: 10 }, () => hit('a.py')), ['a.py', 'b.py']), 1 / idcg);
  assert.equal(ndcgAt10([hit('a.py'), hit('b.py')], ['a.py', 'b.py']), 1);
});

test('a target with lines needs an overlapping chunk', () => {
  const t = { path: 'a.py', start_line: 50, end_line: 60 };
  assert.equal(ndcgAt10([hit('a.py', 1, 10)], [t]), 0);
  assert.equal(ndcgAt10([hit('a.py', 1, 10), hit('a.py', 55, 70)], [t]), 1 / Math.log2(3));
});

test('only the first ten chunks count', () => {
  assert.equal(ndcgAt10([...Array.from({ length: 10 }, () => hit('x.py')), hit('a.py')], ['a.py']), 0);
});
