/**
 * Clusters of related files: k-means (k by silhouette) or agglomerative clustering of the index's
 * file vectors (mean of chunk vectors), labelled by c-TF-IDF terms, with a 2-D PCA map.
 * Everything returned is plain JSON (for a webview or `kindred clusters --json`).
 */
import type { ClusterResult } from '../../shared/clusters';
import { ClusterModel, type ClusterIndex, type ClusterInput, type ClusterOptions } from './model';

export { autoKRange, ClusterModel, commonFolder, MAX_SHARE, MIN_AUTO_CLUSTERS, normalizeScope, REFIT_CHANGE, roleOf, shareOut, SUBDIVIDE_MIN } from './model';
export type { ClusterIndex, ClusterInput, ClusterOptions } from './model';
export type { ClusterFile, ClusterInfo, ClusterLevel, ClusterMethod, ClusterResult, ClusterRole, ClusterTree } from '../../shared/clusters';
export { buildTree, cutTree, MAX_DIRECT_LEAVES } from './hierarchical';
export { capShare, kmeansAuto, kmeansWithK, largestShare } from './auto';
export { kmeansFixed, kRange, inertia, DEFAULT_SEED } from './kmeans';
export { silhouette, silhouetteValues } from './silhouette';
export { countTerms, cTfIdf, pathTerms, isLabelTerm, MAX_LABEL_BYTES } from './terms';
export { Projection } from './projection';
export { adjustedRandIndex, purity } from './metrics';

/**
 * One-shot clustering of an engine's index (`computeClusters(engine, ...)`) or of a store and its
 * folder (`computeClusters({ index: store, folder }, ...)`; an IndexStore alone works too, its `folder`
 * being the indexed folder). Keep a ClusterModel instead to update clusters cheaply after edits.
 */
export function computeClusters(source: ClusterInput | (ClusterIndex & { readonly folder: string }), options: ClusterOptions = {}): Promise<ClusterResult> {
  return new ClusterModel().compute(source, options);
}

/** Human-readable summary for the terminal. */
export function formatClusters(r: ClusterResult, filesPerCluster = 8): string {
  const what = r.level === 'file' ? 'files' : 'chunks';
  const how = r.kAuto ? 'k chosen by silhouette' : 'k given';
  const lines = [
    `${r.clusters.length} clusters of ${r.items} ${what}${r.scope ? ` in ${r.scope}` : ''} (${r.method}, ${how}; silhouette ${r.silhouette.toFixed(3)})` +
      (r.skipped ? `; ${r.skipped} files not embedded yet` : ''),
  ];
  if (r.largestShare !== undefined) lines[0] += `; largest ${Math.round(r.largestShare * 100)}%`;
  for (const c of r.clusters) {
    const where = c.where ? `${c.where}/ · ` : '';
    const role = c.role && c.role !== 'code' ? `, ${c.role === 'test' ? 'tests' : 'examples'}` : '';
    lines.push('', `#${c.id + 1}  ${where}${c.label}  (${c.size} ${what}${role})`, `    terms: ${c.terms.join(', ')}`, `    central: ${c.centralFile}`);
    if (c.children) lines.push(`    sub-clusters: ${c.children.map((ch) => `${ch.label} (${ch.size})`).join(' | ')}`);
    for (const f of c.files.slice(0, filesPerCluster)) {
      const where = f.startLine !== undefined ? `${f.path}:${f.startLine}-${f.endLine}${f.symbol ? `  ${f.symbol}` : ''}` : f.path;
      lines.push(`    ${f.centrality.toFixed(3)}  ${where}`);
    }
    if (c.files.length > filesPerCluster) lines.push(`    ... and ${c.files.length - filesPerCluster} more`);
  }
  return `${lines.join('\n')}\n`;
}
