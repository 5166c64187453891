/**
 * Hybrid search leaves very common terms out of the keyword query on big indexes (lexical.ts: selectTerms);
 * keyword-only search and small indexes keep every term.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { COMMON_TERM_MIN, COMMON_TERM_SHARE, LexicalIndex, selectTerms } from '../../src/core/index/lexical';
import { queryTokens } from '../../src/core/index/tokenize';

test('selectTerms: terms in more than 1% (and 5,000) of a big index are left out while rarer ones remain', () => {
  const total = 200_000;
  const df: Record<string, number> = { index: 60_000, write: 30_000, atomically: 40, disk: 900 };
  assert.ok(60_000 > Math.max(COMMON_TERM_SHARE * total, COMMON_TERM_MIN));
  assert.deepEqual(selectTerms(['index', 'write', 'atomically', 'disk'], (t) => df[t] ?? 0, total), ['atomically', 'disk']);
  // Only common terms: the rarest one still ranks.
  assert.deepEqual(selectTerms(['index', 'write'], (t) => df[t] ?? 0, total), ['write']);
  // A single term is never dropped.
  assert.deepEqual(selectTerms(['index'], (t) => df[t] ?? 0, total), ['index']);
});

test('selectTerms: a small index keeps every term, however common', () => {
  const df: Record<string, number> = { the_app: 900, router: 500, rare: 2 };
  assert.deepEqual(selectTerms(['the_app', 'router', 'rare'], (t) => df[t] ?? 0, 1_000), ['the_app', 'router', 'rare']);
});

test('skipCommon leaves a common term out of the match; the default search keeps it', () => {
  const lex = LexicalIndex.empty();
  // 6,000 chunks say "common"; one also says "needle".
  const docs = Array.from({ length: 6_000 }, (_, i) => ({ id: i + 1, text: i === 0 ? 'common needle' : 'common words here', path: `f${i}.ts`, symbol: '' }));
  lex.add(docs);
  assert.equal(lex.search('common needle', 10_000).length, 6_000);
  assert.deepEqual(lex.search('common needle', 10_000, undefined, { skipCommon: true }).map((r) => r.id), [1]);
});

test('question words are not searched for: a comment saying "how" does not match "how does the cache expire"', () => {
  const lex = LexicalIndex.empty();
  lex.add([
    { id: 1, text: '// shows how the page looks', path: 'view.ts', symbol: 'render' },
    { id: 2, text: 'function expire(entry) { cache.delete(entry.key) }', path: 'cache.ts', symbol: 'expire' },
  ]);
  assert.deepEqual(lex.search('how does the cache expire', 10).map((r) => r.id), [2]);
  assert.deepEqual(queryTokens('how does the cache expire'), ['cache', 'expire']);
  // A query of question words alone is still searched.
  assert.deepEqual(lex.search('how', 10).map((r) => r.id), [1]);
});
