import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { codeTokens, looksLikeIdentifier, splitIdentifier } from '../../src/core/index/tokenize';

test('identifiers split on camelCase, PascalCase, acronyms, snake_case and digits', () => {
  assert.deepEqual(splitIdentifier('parseHTTPResponse2'), ['parse', 'HTTP', 'Response', '2']);
  assert.deepEqual(splitIdentifier('retry_failed_uploads'), ['retry', 'failed', 'uploads']);
  assert.deepEqual(splitIdentifier('XMLHttpRequest'), ['XML', 'Http', 'Request']);
  assert.deepEqual(splitIdentifier('base64Encode'), ['base', '64', 'Encode']);
  assert.deepEqual(splitIdentifier('simple'), ['simple']);
});

test('code tokens keep the whole identifier and its lower-cased parts, drop stop words', () => {
  assert.deepEqual(codeTokens('getUserName(user_id)'), ['getusername', 'get', 'user', 'name', 'user_id', 'user', 'id']);
  assert.deepEqual(codeTokens('Read the file'), ['read', 'file']);
  assert.deepEqual(codeTokens('naïve Straße'), ['naïve', 'straße']);
});

test('identifier-looking queries are recognised', () => {
  for (const q of ['parseConfig', 'read_file', 'src/core/engine.ts', 'foo.bar', '"exact phrase"', 'HttpClient']) assert.ok(looksLikeIdentifier(q), q);
  for (const q of ['where do we retry failed uploads', 'read a file', 'parse']) assert.ok(!looksLikeIdentifier(q), q);
});
