/**
 * Real Express code (test/fixtures/express, MIT): its lib/ is written as `res.cookie = function (...)` with a
 * JSDoc block one blank line above. Search must return such a method with its symbol, and the workspace
 * evaluation must find (doc comment → function) pairs in proportion to the doc comments there are.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../src/core/engine';
import { minePairs } from '../../src/core/eval/workspace';
import { removeTree, repoRoot } from '../helpers/fixtures';

const FIXTURE = path.join(repoRoot, 'test/fixtures/express');
let folder: string;
let engine: Engine;

before(async () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kindred-express-'));
  folder = path.join(tmp, 'express');
  cpSync(FIXTURE, folder, { recursive: true });
  engine = await Engine.open({ folder, indexDir: path.join(tmp, 'index'), threads: 1 });
  await engine.update();
});

after(async () => {
  await engine?.close();
  removeTree(path.dirname(folder));
});

test('express: every `x.y = function` method of lib/response.js is a chunk named after it, its JSDoc included', async () => {
  const chunks = [...engine.index.chunks.values()].filter((c) => c.path === 'lib/response.js');
  const lines = readFileSync(path.join(folder, 'lib/response.js'), 'utf8').split('\n');
  for (const name of ['res.cookie', 'res.send', 'res.json', 'res.redirect', 'res.clearCookie']) {
    const c = chunks.find((k) => k.symbol === name);
    assert.ok(c, `${name}: ${JSON.stringify(chunks.map((k) => k.symbol))}`);
    assert.match(lines[c.startLine - 1], /^\/\*\*/, `${name} starts at its JSDoc`);
  }
});

test('express: "where are cookies signed" finds res.cookie in lib/response.js, labelled with its symbol', async () => {
  const hits = await engine.search('where are cookies signed', { k: 5 });
  const at = hits.findIndex((h) => h.path === 'lib/response.js' && h.symbol === 'res.cookie');
  assert.ok(at >= 0 && at < 3, JSON.stringify(hits.map((h) => `${h.path}:${h.startLine} ${h.symbol}`)));
});

test('express: a symbol query returns the definition first', async () => {
  const hits = await engine.search('res.render', { k: 5 });
  assert.equal(hits[0].symbol, 'res.render', JSON.stringify(hits.map((h) => `${h.path}:${h.startLine} ${h.symbol}`)));
});

test('express: a function held with others in one chunk is found by its name, labelled and previewed by it', async () => {
  // sendfile's small callbacks (onerror, onend, onfile) share one chunk, named after sendfile.
  const hits = await engine.search('onfile', { k: 5 });
  const shown = JSON.stringify(hits.map((h) => `${h.path}:${h.startLine} ${h.symbol} | ${h.preview}`));
  assert.equal(hits[0].path, 'lib/response.js', shown);
  assert.equal(hits[0].symbol, 'sendfile.onfile', shown);
  assert.match(hits[0].preview, /function onfile\(\)/, shown);
});

test('express: the workspace evaluation mines a pair from most JSDoc-documented functions', async () => {
  let pairs = 0;
  let documented = 0;
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  for (const file of walk(path.join(folder, 'lib'))) {
    const text = readFileSync(file, 'utf8');
    pairs += (await minePairs(path.relative(folder, file), text)).length;
    // A JSDoc block whose next code line (after at most one blank line) assigns or declares a function.
    documented += (text.match(/\*\/\n\n?(?:[\w.]+ = (?:[\w.]+ = )?function|function \w+)/g) ?? []).length;
  }
  assert.ok(documented >= 60, `documented: ${documented}`);
  assert.ok(pairs >= documented * 0.8, `pairs ${pairs} for ${documented} documented functions`);
});

test('express: kindred search --group files answers one line per file, ranked by its best chunk', async () => {
  const { runCli } = await import('../helpers/cli');
  const r = await runCli(['search', folder, 'how is the view rendered', '--index-dir', path.join(path.dirname(folder), 'index'), '--no-update', '--group', 'files', '--k', '3', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { group: string; results: { path: string; score: number; hits: { startLine: number; symbol: string | null }[] }[] };
  assert.equal(out.group, 'files');
  const paths = out.results.map((f) => f.path);
  assert.equal(new Set(paths).size, paths.length);
  assert.ok(paths.length >= 2 && paths.length <= 3, paths.join(', '));
  for (let i = 1; i < out.results.length; i++) assert.ok(out.results[i - 1].score >= out.results[i].score);
  assert.ok(paths.slice(0, 2).some((p) => p === 'lib/view.js' || p === 'lib/application.js' || p === 'lib/response.js'), paths.join(', '));
});

test('express: Clusters gives at least 5 clusters, none with more than half the files, named after what the code does', async () => {
  const { computeClusters } = await import('../../src/core/cluster');
  const r = await computeClusters(engine, { k: 'auto' });
  // Measured (all-MiniLM-L6-v2 q8, 15 files): 6 clusters, the largest 4 files (27%); the router's three
  // files together, labelled "layer, route, handle"; application.js with view.js ("view, render, engine").
  assert.ok(r.clusters.length >= 5, `${r.clusters.length} clusters`);
  assert.ok(r.clusters[0].size <= r.items / 2, `largest ${r.clusters[0].size} of ${r.items}`);
  const router = r.clusters.find((c) => c.files.some((f) => f.path === 'lib/router/route.js'))!;
  assert.ok(router.files.some((f) => f.path === 'lib/router/layer.js'), `route.js and layer.js together: ${router.files.map((f) => f.path).join(', ')}`);
  assert.ok(router.terms.slice(0, 3).some((t) => ['route', 'layer', 'router', 'routes'].includes(t)), router.label);
  // Not "app, res, expect": words on every line of Express lead no label, and at most one is in it.
  const generic = ['app', 'res', 'req', 'next', 'expect'];
  for (const c of r.clusters) {
    assert.ok(!generic.includes(c.terms[0]), c.label);
    assert.ok(c.terms.slice(0, 3).filter((t) => generic.includes(t)).length <= 1, c.label);
  }
});
