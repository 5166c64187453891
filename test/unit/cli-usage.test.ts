/**
 * What the CLI prints on a usage error: the message first, then only the usage of the command it is about (the
 * whole help would bury the message under sixty lines), and where the rest is.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { usageError } from '../../src/cli/main';

test('a usage error shows the message and the usage of its command, not the whole help', () => {
  const text = usageError('search takes <folder> "<query>"', 'search');
  assert.match(text, /^kindred: search takes <folder> "<query>"\n\nUsage:\n {2}search {2}<folder> "<query>" +Search by meaning/);
  assert.match(text, /Run "kindred --help" for every command and option\.\n$/);
  assert.doesNotMatch(text, /Options:|--index-dir|similar <folder>/);
  assert.ok(text.split('\n').length < 8, text);
});

test('a command written on several lines keeps its continuation lines; an unknown command lists every command', () => {
  const evalText = usageError('bad split', 'eval');
  for (const sub of ['eval cosqa', 'eval workspace', 'eval tune', 'eval repos']) assert.match(evalText, new RegExp(`^ {2}${sub} `, 'm'));
  assert.match(evalText, /NDCG@10 on labelled repositories/);
  assert.doesNotMatch(evalText, /^ {2}index /m);
  const unknown = usageError('unknown command "bogus"', 'bogus');
  for (const cmd of ['index', 'search', 'similar', 'mcp', 'adapt']) assert.match(unknown, new RegExp(`^ {2}${cmd} `, 'm'));
  assert.doesNotMatch(unknown, /Options:/);
});
