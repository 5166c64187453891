// @ts-check
// Kindred side panel (webview). Talks to the extension only through the messages declared in
// src/shared/webviewProtocol.ts. No network, no eval, no inline handlers (CSP with a nonce).
(function () {
  // @ts-ignore acquireVsCodeApi is injected by VS Code
  const vscode = acquireVsCodeApi();
  const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
  const query = /** @type {HTMLInputElement} */ ($('query'));
  let requestId = 0;
  let timer;

  /** @param {any} msg */
  const send = (msg) => vscode.postMessage(msg);

  function showView(view) {
    if (view === 'clusters' && !clustersLoaded) {
      send({ type: 'clusterScopes' });
      requestClusters();
    }
    for (const tab of document.querySelectorAll('.tabs button')) {
      const on = tab.getAttribute('data-view') === view;
      tab.setAttribute('aria-selected', String(on));
      $(`view-${tab.getAttribute('data-view')}`).hidden = !on;
    }
    vscode.setState({ ...(vscode.getState() || {}), view });
    if (view === 'search') query.focus();
  }

  function escapeHtml(s) {
    return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  }

  /** Highlights the query's words (and identifier parts) in a snippet. */
  function highlight(text, q) {
    const words = (q.match(/[\p{L}\p{N}_]+/gu) || [])
      .flatMap((w) => [w, ...w.split(/_|(?<=[a-z])(?=[A-Z])/)])
      .filter((w) => w.length > 2)
      .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    if (!words.length) return escapeHtml(text);
    // Matched on the raw text, escaped piece by piece: a word like "amp" or "quot" never lands inside an entity.
    const parts = text.split(new RegExp(`(${[...new Set(words)].join('|')})`, 'giu'));
    return parts.map((part, i) => (i % 2 ? `<mark>${escapeHtml(part)}</mark>` : escapeHtml(part))).join('');
  }

  /** Renders hits grouped by file, in rank order of each file's best hit. */
  function render(container, hits, q, emptyText) {
    container.textContent = '';
    if (!hits.length) {
      const p = document.createElement('div');
      p.className = 'empty';
      p.textContent = emptyText;
      container.appendChild(p);
      return;
    }
    const groups = new Map();
    for (const h of hits) {
      const key = `${h.folder}:${h.path}`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(h);
    }
    for (const list of groups.values()) {
      const first = list[0];
      const header = document.createElement('div');
      header.className = 'file';
      const name = first.path.split('/').pop();
      const dir = first.path.slice(0, first.path.length - name.length);
      header.innerHTML = `<span>${escapeHtml(name)}</span><span class="dir">${escapeHtml((first.folderName ? first.folderName + ' · ' : '') + dir)}</span>`;
      container.appendChild(header);
      for (const h of list) {
        const el = document.createElement('div');
        el.className = 'hit';
        el.tabIndex = 0;
        el.setAttribute('role', 'option');
        el.setAttribute('aria-selected', 'false');
        el.dataset.location = JSON.stringify({ folder: h.folder, path: h.path, startLine: h.startLine, endLine: h.endLine });
        el.innerHTML =
          `<div class="meta"><span class="symbol">${escapeHtml(h.symbol || h.preview)}</span>` +
          `<span class="score" title="score">L${h.startLine}-${h.endLine} · ${h.score.toFixed(3)}</span></div>` +
          `<pre>${highlight(h.snippet || h.preview, q)}</pre>`;
        container.appendChild(el);
      }
    }
  }

  function open(el) {
    if (el && el.dataset.location) send({ type: 'open', location: JSON.parse(el.dataset.location) });
  }

  function runSearch(q) {
    const id = ++requestId;
    if (!q.trim()) {
      render($('search-results'), [], q, '');
      return;
    }
    send({ type: 'search', requestId: id, query: q });
  }

  query.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => runSearch(query.value), 200);
    vscode.setState({ ...(vscode.getState() || {}), query: query.value });
  });
  query.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      clearTimeout(timer);
      runSearch(query.value);
    } else if (e.key === 'ArrowDown') {
      const first = /** @type {HTMLElement|null} */ (document.querySelector('#search-results .hit'));
      first?.focus();
      e.preventDefault();
    }
  });

  // Keyboard: arrows move through results, Enter or Space opens.
  document.addEventListener('keydown', (e) => {
    const el = /** @type {HTMLElement} */ (e.target);
    if (!el.classList || !el.classList.contains('hit')) return;
    const all = [...el.closest('.results').querySelectorAll('.hit')];
    const i = all.indexOf(el);
    if (e.key === 'ArrowDown' && i < all.length - 1) /** @type {HTMLElement} */ (all[i + 1]).focus();
    else if (e.key === 'ArrowUp') (i > 0 ? /** @type {HTMLElement} */ (all[i - 1]) : query).focus();
    else if (e.key === 'Enter' || e.key === ' ') open(el);
    else return;
    e.preventDefault();
  });
  document.addEventListener('focusin', (e) => {
    for (const s of document.querySelectorAll('.hit[aria-selected="true"]')) s.setAttribute('aria-selected', 'false');
    const el = /** @type {HTMLElement} */ (e.target);
    if (el.classList && el.classList.contains('hit')) el.setAttribute('aria-selected', 'true');
  });
  document.addEventListener('click', (e) => {
    const el = /** @type {HTMLElement} */ (e.target).closest('.hit');
    if (el) open(el);
  });
  for (const tab of document.querySelectorAll('.tabs button')) {
    tab.addEventListener('click', () => {
      const view = tab.getAttribute('data-view');
      showView(view);
      send({ type: 'showView', view });
    });
  }
  $('similar-run').addEventListener('click', () => send({ type: 'findSimilar' }));

  // ---- Clusters: a tree of clusters → files, and a 2-D map coloured by cluster ----
  const SVG = 'http://www.w3.org/2000/svg';
  let clusterRequest = 0;
  let clustersLoaded = false;
  let refreshTimer;

  function clusterParams() {
    const [folder, scope] = (/** @type {HTMLSelectElement} */ ($('cl-scope')).value || '0:').split(/:(.*)/s);
    const kText = /** @type {HTMLInputElement} */ ($('cl-k')).value.trim();
    const k = kText ? Math.max(1, Math.min(60, Math.floor(Number(kText)) || 1)) : 'auto';
    return { folder: Number(folder) || 0, scope: scope || '', method: /** @type {HTMLSelectElement} */ ($('cl-method')).value, k };
  }

  function requestClusters() {
    clustersLoaded = true;
    $('cl-summary').textContent = 'Clustering…';
    send({ type: 'clusters', requestId: ++clusterRequest, ...clusterParams() });
  }

  function renderScopes(folders) {
    const sel = /** @type {HTMLSelectElement} */ ($('cl-scope'));
    const current = sel.value;
    sel.textContent = '';
    folders.forEach((f, i) => {
      const all = document.createElement('option');
      all.value = `${i}:`;
      all.textContent = folders.length > 1 ? `${f.name} (whole folder)` : 'Whole workspace';
      sel.appendChild(all);
      for (const d of f.dirs) {
        const o = document.createElement('option');
        o.value = `${i}:${d}`;
        o.textContent = `${folders.length > 1 ? f.name + '/' : ''}${d}/`;
        sel.appendChild(o);
      }
    });
    if ([...sel.options].some((o) => o.value === current)) sel.value = current;
  }

  function openItem(result, f) {
    const loc = { folder: result.folder, path: f.path, startLine: f.startLine || 1, endLine: f.endLine || f.startLine || 1 };
    send({ type: 'open', location: loc });
  }

  function renderClusters(result) {
    const what = result.level === 'chunk' ? 'chunks' : 'files';
    $('cl-summary').textContent =
      `${result.clusters.length} clusters of ${result.items} ${what} · ${result.method === 'kmeans' ? 'k-means' : 'hierarchical'}` +
      `${result.kAuto ? ' (k by silhouette)' : ''} · silhouette ${result.silhouette.toFixed(2)}` +
      (result.skipped ? ` · ${result.skipped} files not embedded yet` : '');
    // Map
    const map = $('cl-map');
    map.textContent = '';
    result.clusters.forEach((c, ci) => {
      for (const f of c.files) {
        const dot = document.createElementNS(SVG, 'circle');
        dot.setAttribute('cx', String(f.x * 100));
        dot.setAttribute('cy', String(100 - f.y * 100));
        dot.setAttribute('r', f.path === c.centralFile ? '2.2' : '1.4');
        dot.setAttribute('class', `dot c${ci % 8}`);
        dot.setAttribute('tabindex', '-1');
        const title = document.createElementNS(SVG, 'title');
        title.textContent = `${f.path}${f.symbol ? ' · ' + f.symbol : ''}\n${c.label}`;
        dot.appendChild(title);
        dot.addEventListener('click', () => openItem(result, f));
        map.appendChild(dot);
      }
    });
    // Tree
    const tree = $('cl-tree');
    tree.textContent = '';
    result.clusters.forEach((c, ci) => {
      const det = document.createElement('details');
      det.open = result.clusters.length <= 4;
      det.setAttribute('role', 'treeitem');
      const sum = document.createElement('summary');
      sum.innerHTML = `<span class="swatch c${ci % 8}"></span><b>${escapeHtml(c.label)}</b> <span class="dir">${c.size} ${what}</span>`;
      det.appendChild(sum);
      const terms = document.createElement('div');
      terms.className = 'terms';
      terms.textContent = c.terms.join(' · ');
      det.appendChild(terms);
      for (const f of c.files) {
        const el = document.createElement('div');
        el.className = 'hit cluster-file';
        el.tabIndex = 0;
        el.setAttribute('role', 'option');
        el.dataset.location = JSON.stringify({ folder: result.folder, path: f.path, startLine: f.startLine || 1, endLine: f.endLine || f.startLine || 1 });
        el.textContent = `${f.path === c.centralFile ? '★ ' : ''}${f.path}${f.symbol ? ' · ' + f.symbol : ''}`;
        el.title = `similarity to the cluster centre ${f.centrality.toFixed(2)}`;
        det.appendChild(el);
      }
      tree.appendChild(det);
    });
  }

  $('cl-run').addEventListener('click', requestClusters);
  for (const id of ['cl-scope', 'cl-method']) $(id).addEventListener('change', requestClusters);
  $('cl-k').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') requestClusters();
  });

  window.addEventListener('message', (event) => {
    const msg = event.data;
    switch (msg.type) {
      case 'results':
        if (msg.requestId === requestId) render($('search-results'), msg.hits, msg.query, `No results for “${msg.query}”.`);
        break;
      case 'similar': {
        const s = msg.source;
        $('similar-source').textContent = `Similar to ${s.label} (${s.path}:${s.startLine}-${s.endLine})`;
        render($('similar-results'), msg.hits, '', 'Nothing similar found.');
        showView('similar');
        break;
      }
      case 'status':
        $('status').textContent = msg.status.text;
        $('status').classList.toggle('error', msg.status.state === 'error');
        break;
      case 'showView':
        showView(msg.view);
        break;
      case 'clusters':
        if (msg.requestId === clusterRequest) renderClusters(msg.result);
        break;
      case 'clusterScopes':
        renderScopes(msg.folders);
        break;
      case 'indexChanged':
        // Keep the clusters current, without recomputing on every keystroke-save burst.
        if (clustersLoaded && !$('view-clusters').hidden) {
          clearTimeout(refreshTimer);
          refreshTimer = setTimeout(requestClusters, 1500);
        }
        break;
      case 'runSearch':
        showView('search');
        query.value = msg.query;
        clearTimeout(timer);
        runSearch(msg.query);
        break;
      case 'error':
        if (msg.requestId !== undefined && msg.requestId === clusterRequest && !$('view-clusters').hidden) {
          $('cl-summary').textContent = msg.message;
          $('cl-summary').classList.add('error');
          break;
        }
        if (msg.requestId === undefined || msg.requestId === requestId) {
          const c = $('search-results');
          c.textContent = '';
          const p = document.createElement('div');
          p.className = 'empty error';
          p.textContent = msg.message;
          c.appendChild(p);
        }
        break;
    }
  });

  const state = vscode.getState() || {};
  if (state.query) query.value = state.query;
  showView(state.view || 'search');
  send({ type: 'ready' });
  if (state.query) runSearch(state.query);
})();
