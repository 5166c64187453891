import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { codeTokens, splitIdentifier } from '../../src/core/index/tokenize';

test('identifiers keep their whole form and split on case, underscores, dollars and digits; stop-word parts drop', () => {
  assert.deepEqual(splitIdentifier('__init__'), ['init']);
  assert.deepEqual(splitIdentifier('$scope'), ['scope']);
  assert.deepEqual(splitIdentifier('IOError'), ['IO', 'Error']);
  assert.deepEqual(splitIdentifier('utf8Decode'), ['utf', '8', 'Decode']);
  assert.deepEqual(splitIdentifier('MAX_BATCH_ITEMS'), ['MAX', 'BATCH', 'ITEMS']);
  assert.deepEqual(codeTokens('is_iterable_but_not_string(obj)'), ['is_iterable_but_not_string', 'iterable', 'not', 'string', 'obj']);
  assert.deepEqual(codeTokens('toJSON'), ['tojson', 'json']);
  assert.deepEqual(codeTokens('self.stream.write(t)'), ['self', 'stream', 'write']);
});

test('a query in words and the identifier it names share tokens', () => {
  const code = new Set(codeTokens('def get_user_name(user_id):'));
  for (const t of codeTokens('get the user name')) assert.ok(code.has(t), t);
  const camel = new Set(codeTokens('function readTextFile(filePath) {}'));
  for (const t of codeTokens('read text file')) assert.ok(camel.has(t), t);
});
