import type { ClusterMethod, ClusterResult } from './clusters';
import type { SearchFilter } from './searchFilter';

export type { SearchFilter };

/**
 * Messages between the side panel's webview and the extension, in one place for both sides.
 * Everything the webview sends is untrusted: `parseFromWebview` validates it before use.
 */

export type PanelView = 'search' | 'similar' | 'clusters';

/** A location as the webview knows it: a folder index and a path relative to that folder. */
export interface PanelLocation {
  folder: number;
  path: string;
  startLine: number;
  endLine: number;
}

export interface PanelHit extends PanelLocation {
  folderName: string;
  /** The engine's ranking score (raw BM25 for keyword hits, fused for hybrid): for ordering only, never to show. */
  score: number;
  /** Calibrated relevance 0–1 to show as a bar; absent for keyword hits and uncalibrated models (show no bar). */
  relevance?: number;
  symbol?: string;
  preview: string;
  /** Up to eight lines around the lines that matched the query. */
  snippet: string;
  /** File line number of the snippet's first line (for line numbers in the panel). */
  snippetStartLine?: number;
  /** File line numbers, inside the snippet, that hold a query word (to highlight). */
  matchedLines?: number[];
  /** Other places (`path:start-end`) holding exactly the same code, which the ranking folded into this hit. */
  duplicates?: string[];
}

/** How far to trust a panel search's results (see WorkspaceAnswer in engineProtocol.ts). */
export interface PanelAnswerState {
  /** `none`: no result passed the relevance floor; the hits are keyword hits ("No good match — showing keyword hits"). */
  match: 'good' | 'none' | 'unmeasured' | 'keyword-only';
  /** Results come from a partly built index: "partial: indexing 40%". */
  partial?: { percent: number; phase: string };
  /** No model loaded: "keyword only: model all-mpnet-base-v2 missing". */
  keywordOnly?: { model: string; reason: string };
  /** The whole line to show above the results (notes joined), empty when there is nothing to say. */
  notice: string;
}

/** What a result's buttons do: open beside the current editor, copy `path:line`, reveal it in the Explorer, or find code like it. */
export type HitAction = 'openToSide' | 'copyPath' | 'revealInExplorer' | 'findSimilar';

const HIT_ACTIONS: readonly HitAction[] = ['openToSide', 'copyPath', 'revealInExplorer', 'findSimilar'];

export interface PanelStatus {
  state: string;
  text: string;
}

/** What the Clusters view shows: a clustering of one folder (or a directory of it). */
export type PanelClusters = ClusterResult & { folder: number };

export interface ClusterRequest {
  requestId: number;
  folder: number;
  method: ClusterMethod;
  k: number | 'auto';
  /** Directory relative to the folder; '' for the whole folder. */
  scope: string;
}

export type ToWebview =
  | { type: 'results'; requestId: number; query: string; hits: PanelHit[]; state?: PanelAnswerState }
  | { type: 'similar'; source: PanelLocation & { label: string }; hits: PanelHit[] }
  | { type: 'status'; status: PanelStatus }
  | { type: 'showView'; view: PanelView }
  | { type: 'runSearch'; query: string }
  | { type: 'clusters'; requestId: number; result: PanelClusters }
  | { type: 'clusterScopes'; folders: { name: string; dirs: string[] }[] }
  | { type: 'indexChanged' }
  | { type: 'error'; requestId?: number; message: string }
  /** A clustering request failed (its own reply: a search error never lands in the Clusters view). */
  | { type: 'clustersError'; requestId: number; message: string };

export type FromWebview =
  | { type: 'ready' }
  | { type: 'search'; requestId: number; query: string; filter?: SearchFilter }
  | { type: 'open'; location: PanelLocation }
  | { type: 'findSimilar'; location?: PanelLocation }
  | { type: 'showView'; view: PanelView }
  | ({ type: 'clusters' } & ClusterRequest)
  | { type: 'clusterScopes' }
  | { type: 'hitAction'; action: HitAction; location: PanelLocation };

const VIEWS: readonly PanelView[] = ['search', 'similar', 'clusters'];

function isInt(v: unknown, min = 0): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= 1e9;
}

function parseLocation(v: unknown): PanelLocation | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (!isInt(o.folder) || typeof o.path !== 'string' || o.path.length === 0 || o.path.length > 4096) return undefined;
  if (!isInt(o.startLine, 1) || !isInt(o.endLine, 1) || o.endLine < o.startLine) return undefined;
  return { folder: o.folder, path: o.path, startLine: o.startLine, endLine: o.endLine };
}

function parseFilter(v: unknown): SearchFilter | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const out: SearchFilter = {};
  if (o.path !== undefined) {
    if (typeof o.path !== 'string' || o.path.length > 1024) return undefined;
    if (o.path.trim()) out.path = o.path.trim();
  }
  if (o.includeTests !== undefined) {
    if (typeof o.includeTests !== 'boolean') return undefined;
    out.includeTests = o.includeTests;
  }
  return out;
}

/** Returns the message if it is well-formed, otherwise undefined (and the message is dropped). */
export function parseFromWebview(raw: unknown): FromWebview | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
      return { type: 'ready' };
    case 'search': {
      if (!isInt(m.requestId) || typeof m.query !== 'string' || m.query.length > 2000) return undefined;
      if (m.filter === undefined) return { type: 'search', requestId: m.requestId, query: m.query };
      const filter = parseFilter(m.filter);
      return filter ? { type: 'search', requestId: m.requestId, query: m.query, filter } : undefined;
    }
    case 'hitAction': {
      const location = parseLocation(m.location);
      if (!location || !HIT_ACTIONS.includes(m.action as HitAction)) return undefined;
      return { type: 'hitAction', action: m.action as HitAction, location };
    }
    case 'open': {
      const location = parseLocation(m.location);
      return location ? { type: 'open', location } : undefined;
    }
    case 'findSimilar': {
      if (m.location === undefined) return { type: 'findSimilar' };
      const location = parseLocation(m.location);
      return location ? { type: 'findSimilar', location } : undefined;
    }
    case 'showView':
      return VIEWS.includes(m.view as PanelView) ? { type: 'showView', view: m.view as PanelView } : undefined;
    case 'clusterScopes':
      return { type: 'clusterScopes' };
    case 'clusters': {
      const k = m.k === 'auto' ? 'auto' : isInt(m.k, 1) && (m.k as number) <= 200 ? (m.k as number) : undefined;
      if (!isInt(m.requestId) || !isInt(m.folder) || k === undefined) return undefined;
      if (m.method !== 'kmeans' && m.method !== 'hierarchical') return undefined;
      if (typeof m.scope !== 'string' || m.scope.length > 1024 || m.scope.split(/[\\/]/).includes('..')) return undefined;
      return { type: 'clusters', requestId: m.requestId, folder: m.folder, method: m.method, k, scope: m.scope };
    }
    default:
      return undefined;
  }
}
