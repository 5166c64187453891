import { agnes, type Cluster } from 'ml-hclust';
import { kmeansFixed, DEFAULT_SEED } from './kmeans';
import { clusterSums, dot, sampleIndices } from './vecmath';
import type { ClusterTree } from '../../shared/clusters';

export type { ClusterTree };

/** Above this many points agnes runs on k-means micro-clusters instead (ml-hclust agnes is O(n³) time, O(n²) memory). */
export const MAX_DIRECT_LEAVES = 500;

export interface TreeOutcome {
  tree: ClusterTree;
  /** Micro-cluster centroids when the tree was built on micro-clusters (kept to warm-start the next build). */
  micro?: number[][];
}

/**
 * Agglomerative clustering (ml-hclust agnes, average linkage, cosine distance) of unit vectors.
 * Up to `maxLeaves` points: directly. Beyond: the points are first grouped into ≈2√n k-means
 * micro-clusters (a few Lloyd iterations from a seeded sample, or from `microInit`); agnes runs on
 * the micro-clusters with their exact average-linkage distances (1 - S_a·S_b / (n_a·n_b)), and each
 * micro-cluster becomes a node whose children are its members. Later merges weight micro-clusters
 * equally (agnes counts each as one leaf), an approximation of true average linkage.
 */
export function buildTree(vectors: number[][], opts: { maxLeaves?: number; seed?: number; microInit?: number[][]; microIterations?: number } = {}): TreeOutcome {
  const n = vectors.length;
  if (n === 0) throw new Error('no vectors to cluster');
  if (n === 1) return { tree: { leaves: 1, root: 0, nodes: [] } };
  const maxLeaves = opts.maxLeaves ?? MAX_DIRECT_LEAVES;
  if (n <= maxLeaves) {
    const dist = vectors.map(() => new Array<number>(n).fill(0));
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) dist[i][j] = dist[j][i] = Math.max(0, 1 - dot(vectors[i], vectors[j]));
    const root = agnes(dist, { method: 'average', isDistanceMatrix: true });
    return { tree: serialize(root, n, (leaf, _add) => leaf) };
  }

  const m = Math.min(maxLeaves, Math.max(2, Math.round(2 * Math.sqrt(n))));
  const seed = opts.seed ?? DEFAULT_SEED;
  const init = opts.microInit && opts.microInit.length === m ? opts.microInit : sampleIndices(n, m, seed).map((i) => vectors[i]);
  const micro = kmeansFixed(vectors, m, { seed, init, maxIterations: opts.microIterations ?? 3, skipSilhouette: true });
  const { sums, counts } = clusterSums(vectors, micro.labels, micro.k);
  const members: number[][] = Array.from({ length: micro.k }, () => []);
  micro.labels.forEach((c, i) => members[c].push(i));
  const dist = sums.map((a, i) => sums.map((b, j) => (i === j ? 0 : Math.max(0, 1 - dot(a, b) / (counts[i] * counts[j])))));
  const root = micro.k > 1 ? agnes(dist, { method: 'average', isDistanceMatrix: true }) : leafCluster(0);
  const tree = serialize(root, n, (leaf, add) => {
    const ids = members[leaf];
    if (ids.length === 1) return ids[0];
    // Mean pairwise cosine distance inside the micro-cluster: 1 - (|S|² - Σ|x|²) / (m(m-1)).
    let self = 0;
    for (const i of ids) self += dot(vectors[i], vectors[i]);
    const s = sums[leaf];
    const height = Math.max(0, 1 - (dot(s, s) - self) / (ids.length * (ids.length - 1)));
    return add({ children: [...ids], height, size: ids.length });
  });
  return { tree, micro: micro.centroids };
}

function leafCluster(index: number): Cluster {
  return { children: [], height: 0, size: 1, index, isLeaf: true } as unknown as Cluster;
}

/** Converts ml-hclust's Cluster tree; `leafId` maps an agnes leaf to a tree id (possibly adding a node for it). */
function serialize(root: Cluster, leaves: number, leafId: (leaf: number, add: (node: ClusterTree['nodes'][number]) => number) => number): ClusterTree {
  const nodes: ClusterTree['nodes'] = [];
  const add = (node: ClusterTree['nodes'][number]): number => {
    nodes.push(node);
    return leaves + nodes.length - 1;
  };
  // Iterative post-order (trees of thousands of leaves can be deep).
  const ids = new Map<Cluster, number>();
  const stack: { c: Cluster; done: boolean }[] = [{ c: root, done: false }];
  while (stack.length) {
    const top = stack.pop()!;
    if (top.c.isLeaf || top.c.children.length === 0) {
      ids.set(top.c, leafId(top.c.index, add));
    } else if (!top.done) {
      stack.push({ c: top.c, done: true });
      for (const ch of top.c.children) stack.push({ c: ch, done: false });
    } else {
      const children = top.c.children.map((ch) => ids.get(ch)!);
      const size = children.reduce((s, id) => s + (id < leaves ? 1 : nodes[id - leaves].size), 0);
      ids.set(top.c, add({ children, height: top.c.height, size }));
    }
  }
  const tree: ClusterTree = { leaves, root: ids.get(root)!, nodes };
  // Keep heights monotone (a micro-cluster's spread can exceed the merge above it), and compact.
  const fix = (id: number, cap: number): void => {
    const work: [number, number][] = [[id, cap]];
    while (work.length) {
      const [i, c] = work.pop()!;
      if (i < leaves) continue;
      const node = nodes[i - leaves];
      node.height = Math.round(Math.min(node.height, c) * 1e5) / 1e5;
      for (const ch of node.children) work.push([ch, node.height]);
    }
  };
  fix(tree.root, Infinity);
  return tree;
}

/**
 * Cuts the tree into (at least, and normally exactly) k clusters: the k-1 highest merges are undone,
 * i.e. the highest node is replaced by its children until there are k groups. A node with more than
 * two children (a micro-cluster) splits into all of them at once. Returns a label 0..k'-1 per leaf.
 */
export function cutTree(tree: ClusterTree, k: number): number[] {
  const frontier: number[] = [tree.root];
  const isNode = (id: number): boolean => id >= tree.leaves;
  const height = (id: number): number => (isNode(id) ? tree.nodes[id - tree.leaves].height : -1);
  while (frontier.length < k) {
    let best = -1;
    for (let i = 0; i < frontier.length; i++) if (isNode(frontier[i]) && (best < 0 || height(frontier[i]) > height(frontier[best]))) best = i;
    if (best < 0) break;
    const id = frontier[best];
    frontier.splice(best, 1, ...tree.nodes[id - tree.leaves].children);
  }
  const labels = new Array<number>(tree.leaves).fill(-1);
  frontier.forEach((start, label) => {
    const stack = [start];
    while (stack.length) {
      const id = stack.pop()!;
      if (isNode(id)) stack.push(...tree.nodes[id - tree.leaves].children);
      else labels[id] = label;
    }
  });
  return labels;
}
