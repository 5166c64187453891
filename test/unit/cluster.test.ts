import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { agnes } from 'ml-hclust';
import {
  adjustedRandIndex,
  autoKRange,
  buildTree,
  ClusterModel,
  computeClusters,
  countTerms,
  cTfIdf,
  cutTree,
  kmeansAuto,
  kmeansFixed,
  MAX_SHARE,
  MIN_AUTO_CLUSTERS,
  normalizeScope,
  pathTerms,
  purity,
  silhouette,
  SUBDIVIDE_MIN,
  type ClusterTree,
} from '../../src/core/cluster';
import { seededRandom } from '../../src/core/cluster/vecmath';
import { makeTree, removeTree } from '../helpers/fixtures';
import { FakeIndex, gaussian, planted } from '../helpers/clusterIndex';

const SIZES = [30, 45, 25, 50, 35];

test('k-means with automatic k recovers 5 planted clusters in 16 dimensions', () => {
  const { vectors, truth } = planted(SIZES, 16, 0.12);
  const r = kmeansAuto(vectors);
  assert.equal(r.k, 5, JSON.stringify(r.candidates));
  const ari = adjustedRandIndex(r.labels, truth);
  assert.ok(ari >= 0.95 && purity(r.labels, truth) >= 0.95, `ARI ${ari}`);
  assert.ok(r.silhouette > 0.5, `silhouette ${r.silhouette}`);
  // Deterministic: the same input gives the same clustering.
  assert.deepEqual(kmeansAuto(vectors).labels, r.labels);
});

test('automatic k follows the planted count (3 and 8 clusters) and tolerates more noise', () => {
  for (const sizes of [[40, 40, 40], [20, 25, 30, 20, 25, 30, 20, 25]]) {
    const { vectors, truth } = planted(sizes, 16, 0.2, 11);
    const r = kmeansAuto(vectors);
    assert.equal(r.k, sizes.length, JSON.stringify(r.candidates));
    assert.ok(adjustedRandIndex(r.labels, truth) >= 0.95);
  }
});

test('k-means warm-started from previous centroids converges at once to the same clustering', () => {
  const { vectors } = planted(SIZES, 16, 0.12);
  const full = kmeansFixed(vectors, 5);
  const warm = kmeansFixed(vectors, 5, { init: full.centroids, maxIterations: 10 });
  assert.deepEqual(warm.labels, full.labels);
  assert.ok(warm.iterations <= 2, `iterations ${warm.iterations}`);
});

test('hierarchical clustering cut at k recovers the planted clusters, directly and on micro-clusters', () => {
  const { vectors, truth } = planted(SIZES, 16, 0.12);
  const direct = buildTree(vectors);
  assert.equal(direct.micro, undefined);
  const labels = cutTree(direct.tree, 5);
  assert.ok(adjustedRandIndex(labels, truth) >= 0.95, `ARI ${adjustedRandIndex(labels, truth)}`);
  checkTree(direct.tree, vectors.length);

  const micro = buildTree(vectors, { maxLeaves: 40 });
  assert.ok(micro.micro && micro.micro.length <= 40);
  checkTree(micro.tree, vectors.length);
  assert.ok(adjustedRandIndex(cutTree(micro.tree, 5), truth) >= 0.95);
});

function checkTree(tree: ClusterTree, n: number): void {
  assert.equal(tree.leaves, n);
  const seen = new Array<number>(n).fill(0);
  const stack = [tree.root];
  while (stack.length) {
    const id = stack.pop()!;
    if (id < n) {
      seen[id]++;
      continue;
    }
    const node = tree.nodes[id - n];
    for (const ch of node.children) {
      if (ch >= n) assert.ok(tree.nodes[ch - n].height <= node.height, 'heights are monotone');
      stack.push(ch);
    }
  }
  assert.ok(seen.every((c) => c === 1), 'every leaf appears once');
  assert.equal(tree.nodes[tree.root - n].size, n);
}

test('the serialized tree cuts like ml-hclust agnes itself', () => {
  const { vectors } = planted([12, 9, 15], 8, 0.3, 3);
  const { tree } = buildTree(vectors);
  const dist = vectors.map((a) => vectors.map((b) => Math.max(0, 1 - a.reduce((s, x, i) => s + x * b[i], 0))));
  const root = agnes(dist, { method: 'average', isDistanceMatrix: true });
  for (const k of [2, 3, 4, 6]) {
    const groups = root.group(k).children.map((c) => c.indices());
    const theirs = new Array<number>(vectors.length);
    groups.forEach((g, label) => g.forEach((i) => (theirs[i] = label)));
    assert.equal(adjustedRandIndex(cutTree(tree, k), theirs), 1, `k=${k}`);
  }
});

test('tiny inputs: one and two points', () => {
  assert.deepEqual(kmeansAuto([[1, 0]]).labels, [0]);
  assert.equal(new Set(kmeansAuto([[1, 0], [0, 1]]).labels).size, 2);
  assert.deepEqual(buildTree([[1, 0]]).tree, { leaves: 1, root: 0, nodes: [] });
  assert.equal(new Set(cutTree(buildTree([[1, 0], [0, 1]]).tree, 2)).size, 2);
});

test('cutTree on a hand-made tree', () => {
  // ((0 1)@0.1 ((2 3)@0.2 4)@0.5)@0.9
  const tree: ClusterTree = {
    leaves: 5,
    root: 8,
    nodes: [
      { children: [0, 1], height: 0.1, size: 2 },
      { children: [2, 3], height: 0.2, size: 2 },
      { children: [6, 4], height: 0.5, size: 3 },
      { children: [5, 7], height: 0.9, size: 5 },
    ],
  };
  assert.deepEqual(cutTree(tree, 1), [0, 0, 0, 0, 0]);
  assert.deepEqual(cutTree(tree, 2), [0, 0, 1, 1, 1]);
  assert.deepEqual(cutTree(tree, 3), [0, 0, 1, 1, 2]);
  assert.deepEqual(cutTree(tree, 4), [0, 0, 1, 2, 3], 'the 0.2 merge is undone before the 0.1 one');
  assert.equal(new Set(cutTree(tree, 5)).size, 5);
  assert.equal(new Set(cutTree(tree, 9)).size, 5, 'no more clusters than leaves');
});

test('silhouette (cosine) on a hand-made case', () => {
  // Distances: a1-a2 0.4, b1-b2 0.4, a1-b1 2, a1-b2 1.6, a2-b1 1.6, a2-b2 0.72.
  const vectors = [
    [1, 0],
    [0.6, 0.8],
    [-1, 0],
    [-0.6, 0.8],
  ];
  const labels = [0, 0, 1, 1];
  const s1 = (1.8 - 0.4) / 1.8;
  const s2 = (1.16 - 0.4) / 1.16;
  assert.ok(Math.abs(silhouette(vectors, labels) - (s1 + s2) / 2) < 1e-12);
  // A singleton scores 0; one cluster overall scores 0.
  assert.ok(Math.abs(silhouette([...vectors, [0, -1]], [0, 0, 1, 1, 2]) - brute([...vectors, [0, -1]], [0, 0, 1, 1, 2])) < 1e-12);
  assert.equal(silhouette(vectors, [0, 0, 0, 0]), 0);
  // Against the O(n²) definition on random data.
  const { vectors: vs } = planted([10, 7, 12], 6, 0.6, 5);
  const lab = vs.map((_, i) => i % 3);
  assert.ok(Math.abs(silhouette(vs, lab) - brute(vs, lab)) < 1e-9);
});

function brute(vs: number[][], labels: number[]): number {
  const d = (a: number[], b: number[]): number => 1 - a.reduce((s, x, i) => s + x * b[i], 0);
  const ks = [...new Set(labels)];
  let total = 0;
  vs.forEach((x, i) => {
    const own = labels.filter((l) => l === labels[i]).length;
    if (own === 1) return;
    const mean = (c: number, skipSelf: boolean): number => {
      let s = 0;
      let m = 0;
      vs.forEach((y, j) => {
        if (labels[j] === c && !(skipSelf && j === i)) {
          s += d(x, y);
          m++;
        }
      });
      return s / m;
    };
    const a = mean(labels[i], true);
    const b = Math.min(...ks.filter((c) => c !== labels[i]).map((c) => mean(c, false)));
    total += (b - a) / Math.max(a, b);
  });
  return total / vs.length;
}

test('adjusted Rand index and purity', () => {
  assert.equal(adjustedRandIndex([0, 0, 1, 1], [5, 5, 7, 7]), 1);
  assert.ok(Math.abs(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1]) - -0.5) < 1e-12);
  assert.equal(purity([0, 0, 0, 1], ['a', 'a', 'b', 'b']), 0.75);
});

test('term counting splits identifiers, drops stop words, short and numeric tokens', () => {
  const c = countTerms('const parseHTTPResponse2 = 42; // read the file\nreadFile(user_id, 0xff, 12345)');
  assert.deepEqual([...c.keys()].sort(), ['file', 'http', 'parse', 'read', 'response', 'user'].sort());
  assert.equal(c.get('file'), 2);
  assert.deepEqual(pathTerms('src/cluster/kMeansHelper.ts'), ['cluster', 'means', 'helper']);
});

test('c-TF-IDF: the distinctive term wins over one common to every cluster', () => {
  const docs = [
    { text: 'parser parser grammar token handler handler handler handler', cluster: 0 },
    { text: 'parser grammar handler handler handler', cluster: 0 },
    { text: 'socket connect socket handler handler handler handler', cluster: 1 },
    { text: 'socket retry handler handler handler handler', cluster: 1 },
  ].map((d) => ({ counts: countTerms(d.text), cluster: d.cluster }));
  const [a, b] = cTfIdf(docs, 2, 3);
  assert.equal(a[0].term, 'parser');
  assert.equal(b[0].term, 'socket');
  assert.ok(!a.slice(0, 2).some((t) => t.term === 'handler'), JSON.stringify(a));
  // 'handler' is the most frequent word of cluster 0, yet scores below its distinctive words.
  const handler = a.find((t) => t.term === 'handler');
  assert.ok(!handler || handler.score < a[0].score);
});

test('scopes are normalized', () => {
  assert.equal(normalizeScope('./src/core/'), 'src/core');
  assert.equal(normalizeScope('src\\core'), 'src/core');
  assert.equal(normalizeScope('.'), undefined);
  assert.equal(normalizeScope(undefined), undefined);
});

// ---- ClusterModel over a fake index whose files exist on disk ----

const TOPICS: Record<string, string[]> = {
  parsing: ['parser', 'grammar', 'token', 'lexer', 'syntax'],
  network: ['socket', 'connection', 'packet', 'retry', 'timeout'],
  storage: ['database', 'query', 'transaction', 'table', 'cursor'],
};

let folder: string;
let index: FakeIndex;
const fakeTruth = new Map<string, string>();

function topicText(topic: string, i: number): string {
  const w = TOPICS[topic];
  const common = 'function helper config logger';
  return [0, 1, 2].map((line) => `${w[(i + line) % w.length]}${w[(i + line + 1) % w.length][0].toUpperCase()}${w[(i + line + 1) % w.length].slice(1)}(value) ${common} ${w[(i + line + 2) % w.length]}_handler`).join('\n');
}

before(() => {
  folder = makeTree({}, 'kindred-cluster-');
  index = new FakeIndex(folder);
  const { centres } = planted([1, 1, 1], 16, 0, 21);
  const g = gaussian(seededRandom(99));
  Object.keys(TOPICS).forEach((topic, t) => {
    for (let i = 0; i < 20; i++) {
      const rel = `${topic}/file${i}.ts`;
      fakeTruth.set(rel, topic);
      index.put(rel, topicText(topic, i), [0, 1].map(() => centres[t].map((x) => x + 0.25 * g())));
    }
  });
});

after(() => removeTree(folder));

function purityOf(r: Awaited<ReturnType<typeof computeClusters>>): number {
  const pred: number[] = [];
  const truth: string[] = [];
  for (const c of r.clusters) for (const f of c.files) {
    pred.push(c.id);
    truth.push(fakeTruth.get(f.path)!);
  }
  return purity(pred, truth);
}

function ariOf(r: Awaited<ReturnType<typeof computeClusters>>): number {
  const pred: number[] = [];
  const truth: string[] = [];
  for (const c of r.clusters) for (const f of c.files) {
    pred.push(c.id);
    truth.push(fakeTruth.get(f.path)!);
  }
  return adjustedRandIndex(pred, truth);
}

test('computeClusters: k-means with k automatic splits the three folders finer (k ≥ 5), never mixing them, labels them, and is plain JSON', async () => {
  const r = await computeClusters(index, { method: 'kmeans', k: 'auto' });
  // 60 files: at least MIN_AUTO_CLUSTERS clusters, none over half the files, each inside one folder.
  assert.ok(r.k >= MIN_AUTO_CLUSTERS && r.k <= autoKRange(60, false)[1], `k=${r.k}`);
  assert.equal(r.items, 60);
  assert.equal(purityOf(r), 1);
  assert.ok(r.clusters[0].size <= 30 && Math.abs(r.largestShare! - r.clusters[0].size / 60) < 1e-4, `largest ${r.clusters[0].size}`);
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
  for (const c of r.clusters) {
    const topic = fakeTruth.get(c.files[0].path)!;
    assert.ok(c.terms.length >= 3 && c.terms.length <= 5, JSON.stringify(c.terms));
    assert.ok(c.terms.includes(topic) || c.terms.some((t) => TOPICS[topic].includes(t)), `${topic}: ${c.label}`);
    assert.ok(!c.terms.includes('helper') && !c.terms.includes('logger'), 'words shared by all clusters are not distinctive');
    assert.equal(c.centralFile, c.files[0].path);
    assert.equal(c.where, topic, 'the folder holding the files');
    assert.equal(c.role, 'code');
    assert.ok(c.files.every((f) => f.x >= 0 && f.x <= 1 && f.y >= 0 && f.y <= 1 && f.centrality <= 1));
  }
  assert.equal(r.clusters.reduce((s, c) => s + c.size, 0), 60);
  // A given k is kept: three clusters are the three folders.
  const three = await computeClusters(index, { method: 'kmeans', k: 3 });
  assert.equal(three.k, 3);
  assert.equal(ariOf(three), 1);
});

test('computeClusters: large clusters have sub-clusters to drill into, which split their files and are labelled', async () => {
  const r = await computeClusters(index, { method: 'kmeans', k: 3 });
  for (const c of r.clusters) {
    assert.ok(c.size >= SUBDIVIDE_MIN && c.children && c.children.length >= 2, `${c.label}: ${c.children?.length}`);
    const inChildren = c.children.flatMap((ch) => ch.files.map((f) => f.path)).sort();
    assert.deepEqual(inChildren, c.files.map((f) => f.path).sort(), 'the children partition the parent');
    for (const ch of c.children) {
      assert.ok(ch.size >= 2, 'no lone file as a sub-cluster when a split without one exists');
      assert.ok(ch.terms.length > 0 && ch.label.length > 0);
      assert.ok(!ch.children || ch.size >= SUBDIVIDE_MIN);
    }
  }
});

test('computeClusters: hierarchical returns a tree whose cut matches the clusters', async () => {
  const r = await computeClusters({ folder, index }, { method: 'hierarchical', k: 'auto' });
  assert.ok(r.k >= MIN_AUTO_CLUSTERS, `k=${r.k}`);
  assert.equal(purityOf(r), 1);
  assert.ok(r.largestShare! <= MAX_SHARE);
  assert.ok(r.tree);
  checkTree(r.tree, r.items);
  const byIndex = new Map<number, number>();
  for (const c of r.clusters) for (const f of c.files) byIndex.set(f.index, c.id);
  assert.equal(adjustedRandIndex(cutTree(r.tree, r.k), [...Array(r.items).keys()].map((i) => byIndex.get(i)!)), 1);
  const three = await computeClusters({ folder, index }, { method: 'hierarchical', k: 3 });
  assert.equal(ariOf(three), 1);
});

test('scopes: a folder clusters its files, one file clusters its chunks, an empty scope is an error', async () => {
  const r = await computeClusters(index, { k: 2, scope: 'network/' });
  assert.equal(r.items, 20);
  assert.ok(r.clusters.every((c) => c.files.every((f) => f.path.startsWith('network/'))));
  const one = await computeClusters(index, { k: 2, scope: 'network/file3.ts' });
  assert.equal(one.level, 'chunk');
  assert.equal(one.items, 2);
  assert.ok(one.clusters.every((c) => c.files.every((f) => f.path === 'network/file3.ts' && f.startLine !== undefined)));
  const chunks = await computeClusters(index, { k: 'auto', scope: 'storage', level: 'chunk' });
  assert.equal(chunks.items, 40);
  await assert.rejects(computeClusters(index, { scope: 'nowhere' }), /No embedded files under "nowhere"/);
});

test('ClusterModel: an edited file is the only one re-read and re-averaged; k-means is warm-started', async () => {
  const model = new ClusterModel();
  const first = await model.compute(index, { k: 'auto' });
  assert.equal(first.incremental, false);
  assert.ok(first.candidates && first.candidates.length > 1);

  // Edit one file: new text and vectors still in its topic.
  const { centres } = planted([1, 1, 1], 16, 0, 21);
  index.put('parsing/file0.ts', `${topicText('parsing', 5)}\nlexerSyntaxError()`, [centres[0], centres[0]]);
  index.vectorCalls = 0;
  const second = await model.compute(index, { k: 'auto' });
  assert.equal(second.incremental, true);
  assert.equal(second.candidates, undefined, 'k was not selected again');
  assert.equal(index.vectorCalls, 2, "only the edited file's two chunk vectors were read");
  assert.equal(second.k, first.k);
  assert.equal(purityOf(second), 1);
  assert.deepEqual(
    second.clusters.map((c) => c.files.map((f) => f.path).sort()),
    first.clusters.map((c) => c.files.map((f) => f.path).sort()),
  );

  const third = await model.compute(index, { k: 'auto', reselect: true });
  assert.equal(third.incremental, false);
  assert.ok(third.candidates);

  // Removing more than 10% of the files recomputes from scratch.
  const big = new FakeIndex(folder);
  for (const [p, f] of index.files) if (!p.startsWith('storage/file1')) big.files.set(p, f);
  for (const [id, c] of index.chunks) big.chunks.set(id, c);
  for (const [id, v] of index.vectors) big.vectors.set(id, v);
  const fourth = await model.compute(big, { k: 'auto' });
  assert.equal(fourth.items, 49);
  assert.equal(fourth.incremental, false);
  assert.equal(path.basename(folder).startsWith('kindred-cluster-'), true);
});
