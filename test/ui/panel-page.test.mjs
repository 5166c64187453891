// The side panel's page in a real browser (Debian chromium through playwright-core), without VS Code:
// the HTML of src/extension/panelHtml.ts under its CSP, the bundled script dist/webview/panel.js, and a
// stand-in for the webview API that records what the panel sends. Messages from the extension are posted
// to the page. Checks what only a browser can: filters and result actions sent, the clusters legend and
// map, drilling into sub-clusters and back, a cluster failure shown in its own place.
// Needs `npm run build` (out/ and dist/). Run: node --test test/ui/panel-page.test.mjs
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launchBrowser } from '../e2e-runner/lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { panelHtml } = createRequire(import.meta.url)(path.join(root, 'out/src/extension/panelHtml.js'));
let tmp;
let b;
let page;

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'kindred-panel-page-'));
  const html = path.join(tmp, 'panel.html');
  writeFileSync(
    html,
    panelHtml({
      cspSource: 'file:',
      nonce: 'dGVzdG5vbmNl',
      scriptUri: pathToFileURL(path.join(root, 'dist/webview/panel.js')).href,
      styleUri: pathToFileURL(path.join(root, 'media/panel.css')).href,
    }),
  );
  b = await launchBrowser({ viewport: { width: 420, height: 900 } });
  page = b.page;
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Runs before the page's own script, whatever its CSP: the webview API as VS Code injects it.
  await page.addInitScript(() => {
    window.__sent = [];
    window.__state = undefined;
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__sent.push(JSON.parse(JSON.stringify(m))),
      getState: () => window.__state,
      setState: (s) => (window.__state = s),
    });
  });
  await page.goto(pathToFileURL(html).href);
  await page.waitForFunction(() => window.__sent.some((m) => m.type === 'ready'));
  assert.deepEqual(errors, []);
});

after(async () => {
  await b?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const sent = () => page.evaluate(() => window.__sent);
const lastOf = async (type) => (await sent()).filter((m) => m.type === type).pop();
const post = (msg) => page.evaluate((m) => window.postMessage(m, '*'), msg);

test('search: the query, then the folder filter and "include tests" off, are sent as typed messages', async () => {
  await page.fill('#query', 'retry uploads');
  await page.press('#query', 'Enter');
  let m = await lastOf('search');
  assert.equal(m.query, 'retry uploads');
  assert.equal(m.filter, undefined);
  await page.fill('#filter-path', 'src/net');
  await page.uncheck('#filter-tests');
  await page.waitForFunction(() => window.__sent.filter((x) => x.type === 'search').pop()?.filter?.includeTests === false);
  await page.press('#query', 'Enter');
  m = await lastOf('search');
  assert.deepEqual(m.filter, { path: 'src/net', includeTests: false });
  // The filter is kept across reloads of the webview.
  assert.deepEqual(await page.evaluate(() => ({ p: window.__state.filterPath, t: window.__state.includeTests })), { p: 'src/net', t: false });
});

test('results are grouped by file; a result action sends its location', async () => {
  const m = await lastOf('search');
  const hit = (p, s, e, symbol) => ({ folder: 0, folderName: 'w', path: p, startLine: s, endLine: e, score: 0.5, symbol, preview: symbol, snippet: `function ${symbol}() { retry() }` });
  const copied = { ...hit('src/net/http.ts', 1, 5, 'get'), duplicates: ['vendor/http.ts:1-5'] };
  await post({ type: 'results', requestId: m.requestId, query: m.query, hits: [hit('src/net/upload.ts', 3, 9, 'uploadWithRetry'), hit('src/net/upload.ts', 12, 20, 'backoff'), copied] });
  await page.waitForSelector('#search-results .hit');
  // The same code elsewhere, folded into the hit by the ranking, is named under it (and only there).
  assert.deepEqual(await page.locator('#search-results .hit .duplicates').allTextContents(), ['identical in vendor/http.ts:1-5']);
  assert.equal(await page.locator('#search-results .file').count(), 2);
  assert.equal(await page.locator('#search-results .hit').count(), 3);
  assert.deepEqual(await page.locator('#search-results .hit').first().locator('mark').allTextContents(), ['Retry', 'retry'], 'the query words, case-insensitive');
  const second = page.locator('#search-results .hit').nth(1);
  await second.hover();
  for (const action of ['openToSide', 'copyPath', 'revealInExplorer', 'findSimilar']) {
    await second.locator(`.hit-action[data-action="${action}"]`).click();
    const a = await lastOf('hitAction');
    assert.deepEqual(a, { type: 'hitAction', action, location: { folder: 0, path: 'src/net/upload.ts', startLine: 12, endLine: 20 } });
  }
  // A click on a result itself opens it.
  await page.locator('#search-results .hit .symbol').first().click();
  assert.deepEqual((await lastOf('open')).location, { folder: 0, path: 'src/net/upload.ts', startLine: 3, endLine: 9 });
});

function file(p, i, x, y) {
  return { path: p, index: i, x, y, centrality: 0.9 };
}

function cluster(id, label, files, extra = {}) {
  return { id, label, terms: label.split(', '), size: files.length, files, centralFile: files[0].path, role: 'code', ...extra };
}

test('clusters: legend, labels and dots; drilling into sub-clusters and back; colours never repeat', async () => {
  await page.click('#tab-clusters');
  await page.waitForFunction(() => window.__sent.some((m) => m.type === 'clusters'));
  const req = await lastOf('clusters');
  assert.equal(req.k, 'auto');
  const a1 = [0, 1, 2, 3, 4].map((i) => file(`lib/router/r${i}.js`, i, 0.1 + i * 0.02, 0.8));
  const a2 = [5, 6, 7, 8, 9].map((i) => file(`lib/router/s${i}.js`, i, 0.3 + i * 0.01, 0.6));
  const bFiles = [10, 11, 12].map((i) => file(`test/t${i}.js`, i, 0.8, 0.2 + i * 0.01));
  const result = {
    folder: 0,
    method: 'kmeans',
    level: 'file',
    scope: null,
    k: 2,
    kAuto: true,
    silhouette: 0.3,
    items: 13,
    skipped: 0,
    largestShare: 10 / 13,
    incremental: false,
    timings: { vectors: 0, terms: 0, cluster: 0, project: 0, labels: 0, total: 0 },
    clusters: [
      cluster(0, 'route, layer, handle', [...a1, ...a2], { where: 'lib/router', children: [cluster(0, 'route, match', a1), cluster(1, 'layer, param', a2)] }),
      cluster(1, 'router, tests', bFiles, { role: 'test', where: 'test' }),
    ],
  };
  await post({ type: 'clusters', requestId: req.requestId, result });
  await page.waitForSelector('#cl-legend .legend-entry');
  assert.match(await page.textContent('#cl-summary'), /2 clusters of 13 files · largest 77%/);
  assert.equal(await page.locator('#cl-legend .legend-entry').count(), 2);
  assert.deepEqual(await page.locator('#cl-map .map-label').allTextContents(), ['route, layer', 'router, tests']);
  assert.equal(await page.locator('#cl-map circle').count(), 13);
  assert.equal(await page.locator('#cl-legend .badge').first().textContent(), 'tests');
  const fills = await page.locator('#cl-map circle').evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('fill')))]);
  assert.equal(fills.length, 2);

  // Drill into the first cluster: its two sub-clusters, the rest dimmed, a way back.
  await page.locator('#cl-legend .legend-entry').first().click();
  assert.deepEqual(await page.locator('#cl-legend .legend-label').allTextContents(), ['route, match', 'layer, param']);
  assert.equal(await page.locator('#cl-map circle.dim').count(), 3);
  assert.deepEqual(await page.locator('#cl-map .map-label').allTextContents(), ['route, match', 'layer, param']);
  const subFills = await page.locator('#cl-map circle:not(.dim)').evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('fill')))]);
  assert.equal(subFills.length, 2, 'the sub-clusters have colours of their own');
  const zoomed = await page.getAttribute('#cl-map', 'viewBox');
  assert.notEqual(zoomed, '-6.00 -6.00 112.00 112.00', 'the map zooms to the cluster');
  await page.locator('#cl-legend .crumbs button', { hasText: 'All clusters' }).click();
  assert.equal(await page.locator('#cl-legend .legend-entry').count(), 2);
  assert.equal(await page.getAttribute('#cl-map', 'viewBox'), '-6.00 -6.00 112.00 112.00');
  assert.equal(await page.locator('#cl-map circle.dim').count(), 0);

  // The tree: clusters → sub-clusters → files; a file opens.
  assert.equal(await page.locator('#cl-tree > details').count(), 2);
  assert.equal(await page.locator('#cl-tree > details').first().locator(':scope > details').count(), 2);
  assert.equal(await page.locator('#cl-tree > details').nth(1).evaluate((d) => d.open), true, 'a few clusters start open');
  await page.locator('#cl-tree > details').nth(1).locator('.cluster-file').first().click();
  assert.equal((await lastOf('open')).location.path, 'test/t10.js');

  // A cluster failure is shown in the Clusters view, not in the search results.
  await page.click('#cl-run');
  const again = await lastOf('clusters');
  await post({ type: 'clustersError', requestId: again.requestId, message: 'No embedded files to cluster.' });
  await page.waitForSelector('#cl-summary.error');
  assert.equal(await page.textContent('#cl-summary'), 'No embedded files to cluster.');
  assert.equal(await page.locator('#search-results .error').count(), 0);
});
