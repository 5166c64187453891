/**
 * Kindred's side panel (the webview's script). Talks to the extension only through the messages of
 * src/shared/webviewProtocol.ts: a message the extension changes and this file does not follow fails
 * to compile. No network, no eval, no inline handlers (the page's CSP allows this script by nonce).
 * Bundled by esbuild.mjs to dist/webview/panel.js; type-checked by src/webview/tsconfig.json (DOM, no Node).
 */
import type { ClusterMethod } from '../shared/clusters';
import type { PanelView, SearchFilter, ToWebview } from '../shared/webviewProtocol';
import { showClusters, showClustersError, wireMap } from './clusters';
import { byId, h } from './dom';
import { handleActionClick, locationOf, renderHits } from './results';
import { getState, send, updateState } from './vscodeApi';

const query = byId<HTMLInputElement>('query');
const filterPath = byId<HTMLInputElement>('filter-path');
const filterTests = byId<HTMLInputElement>('filter-tests');
let searchRequest = 0;
let searchTimer: ReturnType<typeof setTimeout> | undefined;
let clusterRequest = 0;
let clustersLoaded = false;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
/** Delay after the last keystroke before a search is sent. */
const TYPING_MS = 200;
/** Delay after the index changed before the Clusters view refreshes (saves come in bursts). */
const CLUSTER_REFRESH_MS = 1500;
const VIEWS: readonly PanelView[] = ['search', 'similar', 'clusters'];

function showView(v: PanelView): void {
  if (v === 'clusters' && !clustersLoaded) {
    send({ type: 'clusterScopes' });
    requestClusters();
  }
  for (const tab of document.querySelectorAll<HTMLElement>('.tabs button')) {
    const on = tab.dataset.view === v;
    tab.setAttribute('aria-selected', String(on));
    byId(`view-${tab.dataset.view ?? ''}`).hidden = !on;
  }
  updateState({ view: v });
  if (v === 'search') query.focus();
}

// ---- Search ----

function currentFilter(): SearchFilter | undefined {
  const path = filterPath.value.trim();
  const includeTests = filterTests.checked;
  if (!path && includeTests) return undefined;
  return { ...(path ? { path } : {}), ...(includeTests ? {} : { includeTests: false }) };
}

function runSearch(q: string): void {
  const id = ++searchRequest;
  if (!q.trim()) {
    renderHits(byId('search-results'), [], q, '');
    return;
  }
  const filter = currentFilter();
  send({ type: 'search', requestId: id, query: q, ...(filter ? { filter } : {}) });
}

function searchSoon(): void {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => runSearch(query.value), TYPING_MS);
}

query.addEventListener('input', () => {
  searchSoon();
  updateState({ query: query.value });
});
query.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') {
    clearTimeout(searchTimer);
    runSearch(query.value);
  } else if (e.key === 'ArrowDown') {
    document.querySelector<HTMLElement>('#search-results .hit')?.focus();
    e.preventDefault();
  }
});
filterPath.addEventListener('input', () => {
  updateState({ filterPath: filterPath.value });
  searchSoon();
});
filterTests.addEventListener('change', () => {
  updateState({ includeTests: filterTests.checked });
  clearTimeout(searchTimer);
  runSearch(query.value);
});

function openHit(el: Element | null): void {
  const location = locationOf(el);
  if (location) send({ type: 'open', location });
}

// Keyboard on results: arrows move, Enter or Space opens.
document.addEventListener('keydown', (e) => {
  const el = e.target as HTMLElement;
  if (!el.classList?.contains('hit')) return;
  const all = [...(el.closest('.results, #cl-tree')?.querySelectorAll<HTMLElement>('.hit') ?? [])];
  const i = all.indexOf(el);
  if (e.key === 'ArrowDown' && i < all.length - 1) all[i + 1].focus();
  else if (e.key === 'ArrowUp') (i > 0 ? all[i - 1] : query).focus();
  else if (e.key === 'Enter' || e.key === ' ') openHit(el);
  else return;
  e.preventDefault();
});
document.addEventListener('focusin', (e) => {
  for (const s of document.querySelectorAll('.hit[aria-selected="true"]')) s.setAttribute('aria-selected', 'false');
  const el = e.target as HTMLElement;
  if (el.classList?.contains('hit')) el.setAttribute('aria-selected', 'true');
});
document.addEventListener('click', (e) => {
  const target = e.target as Element;
  if (handleActionClick(target)) return;
  openHit(target.closest('.hit'));
});
for (const tab of document.querySelectorAll<HTMLElement>('.tabs button')) {
  tab.addEventListener('click', () => {
    const v = VIEWS.find((x) => x === tab.dataset.view);
    if (!v) return;
    showView(v);
    send({ type: 'showView', view: v });
  });
}
byId('similar-run').addEventListener('click', () => send({ type: 'findSimilar' }));

// ---- Clusters ----

function clusterParams(): { folder: number; scope: string; method: ClusterMethod; k: number | 'auto' } {
  const raw = byId<HTMLSelectElement>('cl-scope').value || '0:';
  const colon = raw.indexOf(':');
  const kText = byId<HTMLInputElement>('cl-k').value.trim();
  const k = kText ? Math.max(1, Math.min(60, Math.floor(Number(kText)) || 1)) : 'auto';
  const method: ClusterMethod = byId<HTMLSelectElement>('cl-method').value === 'hierarchical' ? 'hierarchical' : 'kmeans';
  return { folder: Number(raw.slice(0, colon)) || 0, scope: raw.slice(colon + 1), method, k };
}

function requestClusters(): void {
  clustersLoaded = true;
  const summary = byId('cl-summary');
  summary.classList.remove('error');
  summary.textContent = 'Clustering…';
  send({ type: 'clusters', requestId: ++clusterRequest, ...clusterParams() });
}

function renderScopes(folders: { name: string; dirs: string[] }[]): void {
  const sel = byId<HTMLSelectElement>('cl-scope');
  const current = sel.value;
  sel.textContent = '';
  folders.forEach((f, i) => {
    sel.append(h('option', { text: folders.length > 1 ? `${f.name} (whole folder)` : 'Whole workspace', attrs: { value: `${i}:` } }));
    for (const d of f.dirs) sel.append(h('option', { text: `${folders.length > 1 ? `${f.name}/` : ''}${d}/`, attrs: { value: `${i}:${d}` } }));
  });
  if ([...sel.options].some((o) => o.value === current)) sel.value = current;
}

byId('cl-run').addEventListener('click', requestClusters);
for (const id of ['cl-scope', 'cl-method']) byId(id).addEventListener('change', requestClusters);
byId('cl-k').addEventListener('keydown', (e) => {
  if (e.key === 'Enter') requestClusters();
});
wireMap();

// ---- Messages from the extension ----

function showSearchError(message: string): void {
  const c = byId('search-results');
  c.textContent = '';
  c.append(h('div', { className: 'empty error', text: message }));
}

function onMessage(msg: ToWebview): void {
  switch (msg.type) {
    case 'results':
      if (msg.requestId === searchRequest) renderHits(byId('search-results'), msg.hits, msg.query, `No results for “${msg.query}”${currentFilter() ? ' with this filter' : ''}.`, msg.state);
      return;
    case 'similar': {
      const s = msg.source;
      byId('similar-source').textContent = `Similar to ${s.label} (${s.path}:${s.startLine}-${s.endLine})`;
      renderHits(byId('similar-results'), msg.hits, '', 'Nothing similar found.');
      showView('similar');
      return;
    }
    case 'status': {
      const status = byId('status');
      status.textContent = msg.status.text;
      status.classList.toggle('error', msg.status.state === 'error');
      return;
    }
    case 'showView':
      showView(msg.view);
      return;
    case 'clusters':
      if (msg.requestId === clusterRequest) showClusters(msg.result);
      return;
    case 'clustersError':
      if (msg.requestId === clusterRequest) showClustersError(msg.message);
      return;
    case 'clusterScopes':
      renderScopes(msg.folders);
      return;
    case 'indexChanged':
      // Keep the clusters current, without recomputing on every burst of saves.
      if (clustersLoaded && !byId('view-clusters').hidden) {
        clearTimeout(refreshTimer);
        refreshTimer = setTimeout(requestClusters, CLUSTER_REFRESH_MS);
      }
      return;
    case 'runSearch':
      showView('search');
      // "Search in Panel" without a query only reveals the box: what is typed there stays.
      if (!msg.query) return;
      query.value = msg.query;
      updateState({ query: msg.query });
      clearTimeout(searchTimer);
      runSearch(msg.query);
      return;
    case 'error':
      if (msg.requestId === undefined || msg.requestId === searchRequest) showSearchError(msg.message);
      return;
    default: {
      const unknown: never = msg;
      console.warn('kindred panel: unknown message', unknown);
    }
  }
}

window.addEventListener('message', (event: MessageEvent<ToWebview>) => onMessage(event.data));

const state = getState();
if (state.query) query.value = state.query;
if (state.filterPath) filterPath.value = state.filterPath;
if (state.includeTests === false) filterTests.checked = false;
showView(state.view ?? 'search');
send({ type: 'ready' });
if (state.query) runSearch(state.query);
