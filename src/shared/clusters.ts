/**
 * The clustering result as it crosses process boundaries (engine → extension → webview, and
 * `kindred clusters --json`): plain JSON, no Node or DOM types, so the webview can import it.
 * src/core/cluster computes it and re-exports these types.
 */

export type ClusterMethod = 'kmeans' | 'hierarchical';
export type ClusterLevel = 'file' | 'chunk';

/**
 * What a cluster's files are for, from their paths (src/core/ranking/paths.ts): tests and examples
 * are clustered apart from the code they exercise, so they never hide it in a mixed group.
 */
export type ClusterRole = 'code' | 'test' | 'example';

/**
 * A dendrogram in compact, JSON-friendly form. Ids 0..leaves-1 are the leaves (the items' indices);
 * id `leaves + i` is `nodes[i]`. Heights are average-linkage cosine distances; a parent is never
 * lower than its children.
 */
export interface ClusterTree {
  leaves: number;
  root: number;
  nodes: { children: number[]; height: number; size: number }[];
}

export interface ClusterFile {
  /** Relative to the folder. */
  path: string;
  /** Index of this item: a leaf id of `tree`. */
  index: number;
  /** Position on the 2-D map, in [0, 1]. */
  x: number;
  y: number;
  /** Cosine similarity to the cluster's centroid. */
  centrality: number;
  startLine?: number;
  endLine?: number;
  symbol?: string;
}

export interface ClusterInfo {
  id: number;
  /** The cluster's most distinctive terms (symbols, path and code terms), comma-separated. */
  label: string;
  terms: string[];
  size: number;
  /** Most central first. */
  files: ClusterFile[];
  /** The item closest to the centroid (path, or path:start-end for chunks). */
  centralFile: string;
  /** Tests, examples or the code itself (file level; 'code' for chunks). */
  role?: ClusterRole;
  /** The folder holding most (at least two thirds) of its files, when there is one; '' is the folder's top. */
  where?: string;
  /** Sub-clusters of a large cluster (labelled against each other), for drilling in. Their files are this cluster's. */
  children?: ClusterInfo[];
}

export interface ClusterResult {
  method: ClusterMethod;
  level: ClusterLevel;
  scope: string | null;
  k: number;
  /** k was chosen automatically (by silhouette). */
  kAuto: boolean;
  /** Mean silhouette (cosine distance) of this clustering, in [-1, 1]. */
  silhouette: number;
  /** Items clustered (files or chunks). */
  items: number;
  /** Files in scope left out because none of their chunks is embedded yet. */
  skipped: number;
  /** Largest cluster first. */
  clusters: ClusterInfo[];
  /** Size of the largest cluster over the number of items. */
  largestShare?: number;
  /** Silhouette per candidate k, when k was selected in this run. */
  candidates?: { k: number; silhouette: number }[];
  /** The dendrogram (hierarchical only); leaves are the items' `index`. */
  tree?: ClusterTree;
  /** True when the previous clustering was updated rather than recomputed. */
  incremental: boolean;
  /** Milliseconds per stage. */
  timings: { vectors: number; terms: number; cluster: number; project: number; labels: number; total: number };
}
