// ml-kmeans and ml-hclust ship ES modules whose types are only reachable through package
// "exports", which this project's `moduleResolution: node` does not read. These declarations
// re-export the packages' own types; at run time Node 20 (require of ESM) and esbuild load them.
declare module 'ml-kmeans' {
  export { kmeans, kmeansGenerator, type Options as KMeansOptions } from 'ml-kmeans/lib/kmeans';
  export { KMeansResult } from 'ml-kmeans/lib/KMeansResult';
}
declare module 'ml-hclust' {
  export { agnes, type AgnesOptions } from 'ml-hclust/lib/agnes';
  export { Cluster } from 'ml-hclust/lib/cluster';
}
