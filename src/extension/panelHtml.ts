/**
 * The side panel's page: the markup the script in src/webview/ fills, under a CSP that allows no remote
 * content and scripts only by nonce. No `vscode` import, so a test can render it in a browser.
 */
export interface PanelPage {
  /** The webview's `cspSource` (where its styles and fonts may come from). */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
}

export function panelHtml({ cspSource, nonce, scriptUri, styleUri }: PanelPage): string {
  const csp = [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `img-src ${cspSource}`,
    `font-src ${cspSource}`,
  ].join('; ');
  const style = styleUri;
  const script = scriptUri;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>Kindred</title>
</head>
<body>
<nav class="tabs" role="tablist">
  <button role="tab" id="tab-search" data-view="search" aria-selected="true">Search</button>
  <button role="tab" id="tab-similar" data-view="similar" aria-selected="false">Similar</button>
  <button role="tab" id="tab-clusters" data-view="clusters" aria-selected="false">Clusters</button>
</nav>
<section id="view-search" class="view" role="tabpanel" aria-labelledby="tab-search">
  <input id="query" type="search" placeholder="Search by meaning…" aria-label="Search by meaning" autocomplete="off" spellcheck="false">
  <div class="filters">
    <input id="filter-path" type="text" placeholder="Only in folder or glob (src/api, *.ts)" aria-label="Only in this folder or glob" autocomplete="off" spellcheck="false">
    <label class="toggle" title="Results from test files (test/, *.test.ts, test_*.py, ...)"><input id="filter-tests" type="checkbox" checked> Include tests</label>
  </div>
  <div id="search-results" class="results" role="listbox" aria-label="Search results"></div>
</section>
<section id="view-similar" class="view" role="tabpanel" aria-labelledby="tab-similar" hidden>
  <div id="similar-source" class="source">Select code in an editor and run <b>Kindred: Find Similar Code</b>.</div>
  <button id="similar-run" class="action">Find similar to the selection</button>
  <div id="similar-results" class="results" role="listbox" aria-label="Similar code"></div>
</section>
<section id="view-clusters" class="view" role="tabpanel" aria-labelledby="tab-clusters" hidden>
  <div class="controls">
    <select id="cl-scope" aria-label="Scope"></select>
    <select id="cl-method" aria-label="Method">
      <option value="kmeans">k-means</option>
      <option value="hierarchical">hierarchical</option>
    </select>
    <label for="cl-k">k</label>
    <input id="cl-k" type="number" min="2" max="60" placeholder="auto" aria-label="Number of clusters (empty: automatic)">
    <button id="cl-run" class="action">Cluster</button>
  </div>
  <div id="cl-summary" class="source" aria-live="polite">Groups of related files, by meaning.</div>
  <div class="map-wrap">
    <svg id="cl-map" viewBox="-6 -6 112 112" tabindex="0" role="img" aria-label="Map of files coloured by cluster: wheel or + and - to zoom, drag or arrows to pan, 0 to reset"></svg>
    <div class="map-tools">
      <button id="cl-zoom-in" title="Zoom in (+)" aria-label="Zoom in">+</button>
      <button id="cl-zoom-out" title="Zoom out (-)" aria-label="Zoom out">−</button>
      <button id="cl-zoom-reset" title="Whole map (0)" aria-label="Whole map">⤢</button>
    </div>
  </div>
  <div id="cl-legend" class="legend" aria-label="Legend"></div>
  <div id="cl-tree" role="tree" aria-label="Clusters"></div>
</section>
<footer id="status" class="status" aria-live="polite"></footer>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
