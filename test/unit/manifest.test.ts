import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
  const page = readFileSync(path.join(repoRoot, 'src/extension/panelHtml.ts'), 'utf8');
  assert.match(page, /default-src 'none'/);
  assert.match(page, /script-src 'nonce-\$\{nonce\}'/);
  assert.match(page, /<script nonce="\$\{nonce\}" src="\$\{script\}"><\/script>/);
  assert.doesNotMatch(src + page, /https?:\/\//);
  // The webview's script (src/webview, bundled to dist/webview/panel.js): the SVG namespace is an
  // identifier, not a resource: nothing is fetched from it.
  const dir = path.join(repoRoot, 'src/webview');
  const sources = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  assert.ok(sources.includes('panel.ts'), sources.join(', '));
  for (const f of sources) {
    const js = readFileSync(path.join(dir, f), 'utf8').replaceAll('http://www.w3.org/2000/svg', '');
    assert.doesNotMatch(js, /https?:\/\/|fetch\(|XMLHttpRequest|eval\(|new Function|innerHTML/, f);
  }
  assert.match(src, /'dist', 'webview'/, 'the panel loads the bundled script from dist/webview');
});

test('the panel sends search filters and result actions, validated', () => {
  const loc = { folder: 0, path: 'lib/a.js', startLine: 3, endLine: 9 };
  assert.deepEqual(parseFromWebview({ type: 'search', requestId: 1, query: 'q', filter: { path: ' lib/ ', includeTests: false } }), {
    type: 'search',
    requestId: 1,
    query: 'q',
    filter: { path: 'lib/', includeTests: false },
  });
  for (const action of ['openToSide', 'copyPath', 'revealInExplorer', 'findSimilar']) {
    assert.deepEqual(parseFromWebview({ type: 'hitAction', action, location: loc }), { type: 'hitAction', action, location: loc });
  }
  for (const bad of [
    { type: 'search', requestId: 1, query: 'q', filter: 'lib' },
    { type: 'search', requestId: 1, query: 'q', filter: { includeTests: 'no' } },
    { type: 'search', requestId: 1, query: 'q', filter: { path: 'x'.repeat(2000) } },
    { type: 'hitAction', action: 'delete', location: loc },
    { type: 'hitAction', action: 'copyPath' },
  ]) {
    assert.equal(parseFromWebview(bad), undefined, JSON.stringify(bad));
  }
});

test('the extension page: a 128×128 icon, and a walkthrough whose links run real commands and whose media are packaged', () => {
  const icon = readFileSync(path.join(repoRoot, pkg.icon));
  assert.equal(icon.subarray(1, 4).toString('latin1'), 'PNG');
  assert.deepEqual([icon.readUInt32BE(16), icon.readUInt32BE(20)], [128, 128]);
  const ignore = readFileSync(path.join(repoRoot, '.vscodeignore'), 'utf8');
  const [walkthrough] = pkg.contributes.walkthroughs;
  assert.ok(walkthrough.steps.length >= 4);
  for (const step of walkthrough.steps as { id: string; description: string; media: { image?: string; markdown?: string }; completionEvents?: string[] }[]) {
    for (const [, command] of step.description.matchAll(/\(command:([\w.]+)\)/g)) assert.ok((COMMAND_IDS as readonly string[]).includes(command), `${step.id}: ${command}`);
    for (const e of step.completionEvents ?? []) assert.ok((COMMAND_IDS as readonly string[]).includes(e.replace(/^onCommand:/, '')), `${step.id}: ${e}`);
    const media = step.media.image ?? step.media.markdown!;
    assert.ok(existsSync(path.join(repoRoot, media)), `${step.id}: ${media}`);
    // Packaged: media/ is, and docs/ only for the screenshots.
    assert.ok(media.startsWith('media/') || (media.startsWith('docs/screenshots/') && ignore.includes('!docs/screenshots/*.png')), media);
  }
  // The README's images are the packaged screenshots (relative links, kept as they are by scripts/package.mjs).
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]);
  assert.ok(images.length >= 3, images.join(', '));
  for (const img of images) {
    assert.match(img, /^docs\/screenshots\/[\w-]+\.png$/);
    assert.ok(existsSync(path.join(repoRoot, img)), img);
  }
});
