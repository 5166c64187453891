import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { COMMAND_IDS } from '../../src/shared/commands';
import { parseFromWebview } from '../../src/shared/webviewProtocol';
import { repoRoot } from '../helpers/fixtures';

const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));

test('package.json contributes exactly the commands of the command table, all in the Kindred category', () => {
  const contributed = pkg.contributes.commands.map((c: { command: string }) => c.command).sort();
  assert.deepEqual(contributed, [...COMMAND_IDS].sort());
  for (const c of pkg.contributes.commands) assert.equal(c.category, 'Kindred');
  for (const k of pkg.contributes.keybindings) assert.ok((COMMAND_IDS as readonly string[]).includes(k.command));
});

test('messages from the webview are validated: malformed ones are dropped', () => {
  assert.deepEqual(parseFromWebview({ type: 'search', requestId: 3, query: 'x' }), { type: 'search', requestId: 3, query: 'x' });
  assert.deepEqual(parseFromWebview({ type: 'open', location: { folder: 0, path: 'a/b.ts', startLine: 2, endLine: 4 }, extra: 1 }), {
    type: 'open',
    location: { folder: 0, path: 'a/b.ts', startLine: 2, endLine: 4 },
  });
  for (const bad of [
    null,
    'search',
    { type: 'eval', code: '1' },
    { type: 'search', requestId: -1, query: 'x' },
    { type: 'search', requestId: 1, query: 42 },
    { type: 'open', location: { folder: 0, path: '', startLine: 1, endLine: 1 } },
    { type: 'open', location: { folder: 0, path: 'a', startLine: 5, endLine: 2 } },
    { type: 'open', location: { folder: '0', path: 'a', startLine: 1, endLine: 1 } },
    { type: 'showView', view: 'settings' },
  ]) {
    assert.equal(parseFromWebview(bad), undefined, JSON.stringify(bad));
  }
});

test('the webview HTML policy allows no remote content and scripts only by nonce', () => {
  const src = readFileSync(path.join(repoRoot, 'src/extension/panel.ts'), 'utf8');
  assert.match(src, /default-src 'none'/);
  assert.match(src, /script-src 'nonce-\$\{nonce\}'/);
  assert.doesNotMatch(src, /https?:\/\//);
  // The SVG namespace is an identifier, not a resource: nothing is fetched from it.
  const js = readFileSync(path.join(repoRoot, 'media/panel.js'), 'utf8').replaceAll('http://www.w3.org/2000/svg', '');
  assert.doesNotMatch(js, /https?:\/\/|fetch\(|XMLHttpRequest|eval\(|new Function/);
});
