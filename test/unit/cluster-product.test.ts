/**
 * Clusters as the product shows them (issue 16): k automatic in a finer range with no cluster over
 * half the items, tests apart from the code they test, labels from symbols and paths without the
 * words every file of a role shares, deterministic. No model: planted vectors in a fake index.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  autoKRange,
  ClusterModel,
  commonFolder,
  computeClusters,
  kmeansAuto,
  largestShare,
  MAX_SHARE,
  MIN_AUTO_CLUSTERS,
  roleOf,
  shareOut,
  type ClusterResult,
} from '../../src/core/cluster';
import { normalized, seededRandom } from '../../src/core/cluster/vecmath';
import { FakeIndex, gaussian, planted } from '../helpers/clusterIndex';
import { makeTree, removeTree } from '../helpers/fixtures';

test('autoKRange: at least 5 clusters from 15 items on, a finer range as the repository grows', () => {
  assert.deepEqual(autoKRange(2, false), [1, 1]);
  assert.deepEqual(autoKRange(3, false), [2, 2]);
  assert.deepEqual(autoKRange(10, false), [3, 6]);
  assert.deepEqual(autoKRange(15, false), [5, 6]);
  assert.deepEqual(autoKRange(60, false), [5, 10]);
  assert.deepEqual(autoKRange(210, false), [7, 17]);
  assert.deepEqual(autoKRange(10_000, false), [12, 24]);
  assert.deepEqual(autoKRange(5, true), [1, 1], 'a handful of tests is one cluster');
  for (let n = 15; n < 400; n += 7) assert.ok(autoKRange(n, false)[0] >= MIN_AUTO_CLUSTERS);
});

test('k-means with a share cap: one dominant group is split until no cluster holds more than half', () => {
  const { vectors } = planted([160, 20, 20], 16, 0.12, 5);
  const free = kmeansAuto(vectors, { minK: 2, maxK: 3 });
  assert.ok(largestShare(free.labels) >= 0.8, `without the cap the big group stays whole (${largestShare(free.labels)})`);
  const capped = kmeansAuto(vectors, { minK: 2, maxK: 3, maxShare: MAX_SHARE });
  assert.ok(largestShare(capped.labels) <= MAX_SHARE, `share ${largestShare(capped.labels)}`);
  assert.equal(capped.labels.length, 200);
  assert.deepEqual(kmeansAuto(vectors, { minK: 2, maxK: 3, maxShare: MAX_SHARE }).labels, capped.labels, 'deterministic');
});

test('shareOut and commonFolder', () => {
  assert.deepEqual(shareOut(10, [60, 30, 10]), [6, 3, 1]);
  assert.deepEqual(shareOut(3, [100, 1, 1]), [1, 1, 1]);
  assert.equal(shareOut(7, [5, 5, 5]).reduce((a, b) => a + b, 0), 7);
  // The deepest folder with at least two thirds of the files.
  assert.equal(commonFolder(['lib/router/a.js', 'lib/router/b.js', 'lib/view.js']), 'lib/router');
  assert.equal(commonFolder(['lib/router/a.js', 'lib/view.js', 'lib/app.js']), 'lib');
  assert.equal(commonFolder(['a.js', 'b/c.js', 'd/e.js']), undefined);
  assert.equal(roleOf('test/app.router.js'), 'test');
  assert.equal(roleOf('src/util.test.ts'), 'test');
  assert.equal(roleOf('examples/auth/index.js'), 'example');
  assert.equal(roleOf('lib/router/index.js'), 'code');
});

// ---- A small web framework: code and the tests of each topic embed alike ----

const TOPICS: Record<string, { symbols: string[]; words: string }> = {
  cookies: { symbols: ['res.cookie', 'res.clearCookie', 'signCookie'], words: 'cookie signed secret maxAge httpOnly' },
  routing: { symbols: ['Router.route', 'Layer.match', 'dispatch'], words: 'route layer path match params' },
  views: { symbols: ['View.lookup', 'app.render', 'renderFile'], words: 'view render template engine lookup' },
  bodies: { symbols: ['json', 'urlencoded', 'rawBody'], words: 'body parse json urlencoded limit' },
};
const PER = 6;
let folder: string;
let index: FakeIndex;

before(() => {
  folder = makeTree({}, 'kindred-cluster-product-');
  index = new FakeIndex(folder);
  const g = gaussian(seededRandom(3));
  const centres = Object.keys(TOPICS).map(() => normalized(Array.from({ length: 24 }, g)));
  Object.entries(TOPICS).forEach(([topic, t], ti) => {
    for (let i = 0; i < PER; i++) {
      const near = (): number[] => centres[ti].map((x) => x + 0.2 * g());
      const code = `// ${t.words}\nfunction ${t.symbols[i % 3].replace(/\W/g, '_')}(req, res) { return res.send(${JSON.stringify(t.words)}) }\n`;
      index.put(`lib/${topic}/${topic}${i}.js`, code, [near(), near()], [t.symbols[i % 3], t.symbols[(i + 1) % 3]]);
      // Every test says expect/request/app/should; its vectors sit next to the code it tests.
      const spec = `const request = require('supertest')\ndescribe('${topic}', () => { it('should ${t.words}', () => request(app).get('/').expect(200)) })\nexpect(app).should\n`;
      index.put(`test/${topic}${i}.test.js`, spec, [near(), near()], [`describe ${topic}`, 'it should']);
    }
  });
});

after(() => removeTree(folder));

function roleOfFiles(r: ClusterResult): void {
  for (const c of r.clusters) {
    const roles = new Set(c.files.map((f) => roleOf(f.path)));
    assert.equal(roles.size, 1, `${c.label} mixes ${[...roles].join(' and ')}: ${c.files.map((f) => f.path).join(', ')}`);
    assert.equal(c.role, [...roles][0]);
  }
}

test('tests are clustered apart from the code they test, which their vectors sit next to', async () => {
  for (const method of ['kmeans', 'hierarchical'] as const) {
    const r = await computeClusters(index, { method, k: 'auto' });
    assert.equal(r.items, 48);
    roleOfFiles(r);
    assert.ok(r.clusters.length >= MIN_AUTO_CLUSTERS, `${method}: ${r.clusters.length}`);
    assert.ok(r.clusters[0].size <= 24, `${method}: largest ${r.clusters[0].size}`);
    assert.ok(r.clusters.some((c) => c.role === 'test') && r.clusters.some((c) => c.role === 'code'));
  }
  // A given k is shared out between code and tests (each part gets at least one cluster).
  const r = await computeClusters(index, { k: 8 });
  assert.equal(r.k, 8);
  roleOfFiles(r);
});

test('labels come from symbols and paths, never from words every test shares', async () => {
  const r = await computeClusters(index, { k: 'auto' });
  for (const c of r.clusters) {
    for (const common of ['expect', 'request', 'should', 'describe', 'supertest', 'test']) assert.ok(!c.terms.includes(common), `${c.label}: ${c.terms.join(', ')}`);
    const topics = new Set(c.files.map((f) => Object.keys(TOPICS).find((t) => f.path.includes(t))!));
    assert.equal(topics.size, 1, `${c.label}: one topic per cluster`);
    const topic = [...topics][0];
    const named = [topic, ...TOPICS[topic].words.split(' '), ...TOPICS[topic].symbols.flatMap((s) => s.toLowerCase().split(/\W|(?=[A-Z])/))].map((w) => w.toLowerCase());
    assert.ok(c.terms.slice(0, 3).some((t) => named.includes(t) || named.some((w) => w.startsWith(t) || t.startsWith(w))), `${topic}: ${c.label}`);
  }
  const cookies = r.clusters.find((c) => c.role === 'code' && c.files.every((f) => f.path.startsWith('lib/cookies/')));
  assert.ok(cookies, r.clusters.map((c) => c.label).join(' | '));
  assert.ok(cookies.terms.some((t) => t === 'cookie' || t === 'cookies'), cookies.label);
  assert.equal(cookies.where, 'lib/cookies');
});

test('the same index gives the same clusters (fixed seeds), however often it is asked', async () => {
  const strip = (r: ClusterResult): unknown => ({ ...r, timings: undefined });
  const a = await new ClusterModel().compute(index, { k: 'auto' });
  const b = await new ClusterModel().compute(index, { k: 'auto' });
  assert.deepEqual(strip(a), strip(b));
  const c = await new ClusterModel().compute(index, { k: 'auto', method: 'hierarchical' });
  const d = await new ClusterModel().compute(index, { k: 'auto', method: 'hierarchical' });
  assert.deepEqual(strip(c), strip(d));
});
