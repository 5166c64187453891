import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import type { ModelRuntime } from '../core/embedding/runtime';
import type { Engine } from '../core/engine';
import { fuseHybrid, HYBRID_FUSION, STACK_DEPTH, storeSource, toHits, type Ranked, type SearchMode } from '../core/search';
import type { Candidate, ChunkInfo, ChunkSource } from '../core/ranking/rules';
import { applyStack } from '../core/ranking/stack';
import { decodeLines } from '../core/text';
import { pathFilter } from '../core/context';
import { pathKinds } from '../core/ranking/paths';
import { dot, judgeMatch, relevanceOf, type MatchQuality } from '../core/ranking/floor';
import { snippetWindow } from '../core/ranking/snippet';
import type { WorkspaceHit } from '../shared/engineProtocol';
import { isEmptyFilter, type SearchFilter } from '../shared/searchFilter';

export interface SearchFolder {
  /** Absolute path. */
  path: string;
  engine: Engine;
}

/** Candidates taken from each folder's BM25 and vector lists before fusing them. */
const DEPTH = HYBRID_FUSION.depth;

/**
 * The filter as a test on a relative path, or undefined when it keeps everything. A path that is
 * not a valid glob throws a KindredError ('bad-argument') with a sentence for the user.
 */
export function hitFilter(filter: SearchFilter | undefined): ((rel: string) => boolean) | undefined {
  if (!filter || isEmptyFilter(filter)) return undefined;
  // Several folders or globs may be given, comma-separated (the QuickPick's filter box).
  const inPath = pathFilter(filter.path?.split(',').map((p) => p.trim()).filter(Boolean).join('\n'));
  const noTests = filter.includeTests === false;
  return (rel) => (!inPath || inPath(rel)) && !(noTests && pathKinds(rel).topics.has('test'));
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
}

/**
 * Searches every folder of the workspace as one corpus. With one folder this is the engine's own
 * search. With several, the query is embedded once, each folder contributes its raw candidates
 * (cosine similarities and BM25 scores, which mean the same thing in every folder), and one
 * fusion ranks them all, so a folder's best hit does not score 1 just for being its folder's best.
 */
export async function searchWorkspace(
  folders: readonly SearchFolder[],
  runtime: ModelRuntime | undefined,
  query: string,
  k: number,
  mode: SearchMode = 'hybrid',
  signal?: AbortSignal,
  filter?: SearchFilter,
  /** The query's vector when the caller has it already (embedded once). */
  queryVector?: Float32Array,
): Promise<WorkspaceHit[]> {
  const q = query.trim();
  if (!q || folders.length === 0) return [];
  const keep = hitFilter(filter);
  if (folders.length === 1) {
    const hits = await folders[0].engine.search(q, { k, mode, keep });
    throwIfAborted(signal);
    return withSnippets(folders, hits.map((h) => ({ ...h, folder: 0, snippet: '' })), signal, q);
  }
  // With a filter, the whole ranked depth is asked for and the hits outside it dropped afterwards.
  const asked = keep ? Math.max(STACK_DEPTH, k) : k;
  const effective: SearchMode = runtime ? mode : 'bm25';
  const vector = effective === 'bm25' ? undefined : (queryVector ?? (await runtime!.embedQuery(q)));
  throwIfAborted(signal);
  // One id space over all folders: global id -> (folder, chunk id).
  const owners: { folder: number; id: number }[] = [];
  const lexical: Ranked[] = [];
  const nearest: Ranked[] = [];
  folders.forEach((f, folder) => {
    const store = f.engine.index;
    const add = (list: Ranked[], into: Ranked[]): void => {
      for (const r of list) {
        owners.push({ folder, id: r.id });
        into.push({ id: owners.length - 1, score: r.score });
      }
    };
    if (effective !== 'vector') add(store.lexical.search(q, DEPTH, undefined, { skipCommon: effective === 'hybrid' && !!vector }), lexical);
    // Each folder's query adapter (if on) maps the query for that folder's vectors only.
    if (vector) add(store.nearest(f.engine.queryVector(vector), DEPTH), nearest);
  });
  lexical.sort((a, b) => b.score - a.score);
  nearest.sort((a, b) => b.score - a.score);
  const fused = effective === 'bm25' ? lexical : effective === 'vector' ? nearest : fuseHybrid(q, lexical, nearest);
  const ranked = mode === 'hybrid' ? stackAcrossFolders(folders, owners, q, fused, asked) : fused;
  return mergedHits(folders, owners, ranked, k, signal, keep);
}

/** What `answerWorkspace` returns before the engine service adds the index's state. */
export interface WorkspaceMatch {
  hits: WorkspaceHit[];
  match: MatchQuality;
  bestCosine?: number;
}

/**
 * The search a person reads, over every folder: hybrid when some chunk passes the model's relevance floor,
 * otherwise keyword hits flagged `match: 'none'` (see Engine.answer); hits with a calibrated relevance, inside
 * `filter`, with snippets centred on the lines that matched.
 */
export async function answerWorkspace(
  folders: readonly SearchFolder[],
  runtime: ModelRuntime | undefined,
  query: string,
  k: number,
  filter: SearchFilter | undefined,
  signal?: AbortSignal,
): Promise<WorkspaceMatch> {
  const q = query.trim();
  if (!q || folders.length === 0) return { hits: [], match: runtime ? 'good' : 'keyword-only' };
  if (folders.length === 1) {
    const a = await folders[0].engine.answer(q, { k, keep: hitFilter(filter) });
    throwIfAborted(signal);
    const hits = await withSnippets(folders, a.hits.map((h) => ({ ...h, folder: 0, snippet: '' })), signal, q);
    return { ...a, hits };
  }
  if (!runtime) {
    const hits = await searchWorkspace(folders, runtime, q, k, 'bm25', signal, filter);
    return { hits: await withSnippets(folders, hits, signal, q), match: 'keyword-only' };
  }
  const vector = await runtime.embedQuery(q);
  throwIfAborted(signal);
  const bests = folders.map((f) => f.engine.index.nearest(f.engine.queryVector(vector), 1)[0]?.score).filter((x): x is number => x !== undefined);
  const bestCosine = bests.length ? Math.max(...bests) : undefined;
  const match = judgeMatch(runtime.source.modelId, bestCosine);
  const hits = await searchWorkspace(folders, runtime, q, k, match === 'none' ? 'bm25' : 'hybrid', signal, filter, vector);
  if (match !== 'none') {
    for (const h of hits) {
      const v = folders[h.folder].engine.index.vectorOf(h.id);
      const r = v && relevanceOf(runtime.source.modelId, dot(v, folders[h.folder].engine.queryVector(vector)));
      if (r !== undefined) h.relevance = r;
    }
  }
  return { hits: await withSnippets(folders, hits, signal, q), match, ...(bestCosine !== undefined ? { bestCosine } : {}) };
}

/**
 * The ranking stack over the fused candidates of all folders: the same rules as a single folder's search,
 * with paths told apart by their folder (`#<folder>/<path>`) and chunks the rules look up given global ids.
 */
function stackAcrossFolders(folders: readonly SearchFolder[], owners: { folder: number; id: number }[], query: string, fused: Ranked[], k: number): Ranked[] {
  const globalIds = new Map<string, number>();
  owners.forEach((o, i) => globalIds.set(`${o.folder}:${o.id}`, i));
  const globalId = (folder: number, id: number): number => {
    let g = globalIds.get(`${folder}:${id}`);
    if (g === undefined) {
      g = owners.push({ folder, id }) - 1;
      globalIds.set(`${folder}:${id}`, g);
    }
    return g;
  };
  const sources = folders.map((f) => storeSource(f.engine.index));
  const split = (p: string): [number, string] => {
    const slash = p.indexOf('/');
    return [Number(p.slice(1, slash)), p.slice(slash + 1)];
  };
  const globalInfo = (folder: number, c: ChunkInfo): ChunkInfo => ({ ...c, id: globalId(folder, c.id), path: `#${folder}/${c.path}` });
  const source: ChunkSource = {
    fileChunks: (p) => {
      const [folder, rel] = split(p);
      return sources[folder]?.fileChunks(rel).map((c) => globalInfo(folder, c)) ?? [];
    },
    definitions: (name, limit) => sources.flatMap((s, folder) => s.definitions(name, limit).map((c) => globalInfo(folder, c))).slice(0, limit),
    hasFile: (p) => {
      const [folder, rel] = split(p);
      return sources[folder]?.hasFile(rel) ?? false;
    },
    vector: (id) => {
      const o = owners[id];
      return o && folders[o.folder].engine.index.vectorOf(o.id);
    },
  };
  const candidates: Candidate[] = fused.slice(0, STACK_DEPTH).flatMap((r) => {
    const o = owners[r.id];
    const c = folders[o.folder].engine.index.chunks.get(o.id);
    return c ? [{ ...globalInfo(o.folder, c), id: r.id, score: r.score }] : [];
  });
  return applyStack(query, candidates, source, { k });
}

/**
 * Code like the lines [startLine, endLine] of a file (absolute path), from every folder: the
 * selection is embedded once and the cosine similarities of all folders ranked together.
 */
export async function similarInWorkspace(
  folders: readonly SearchFolder[],
  runtime: ModelRuntime | undefined,
  source: { folder: number; rel: string } | undefined,
  text: string,
  lines: { startLine: number; endLine: number },
  k: number,
  signal?: AbortSignal,
): Promise<WorkspaceHit[]> {
  if (!text.trim()) return [];
  if (folders.length === 1 || !runtime) {
    const all: WorkspaceHit[] = [];
    for (const [i, f] of folders.entries()) {
      throwIfAborted(signal);
      const hits = await f.engine.similar(source?.folder === i ? source.rel : '', lines.startLine, lines.endLine, { k, text });
      for (const h of hits) all.push({ ...h, folder: i, snippet: '' });
    }
    return withSnippets(folders, all.sort((a, b) => b.score - a.score).slice(0, k), signal);
  }
  const [vector] = await runtime.embedPassages([text]);
  throwIfAborted(signal);
  const owners: { folder: number; id: number }[] = [];
  const ranked: Ranked[] = [];
  folders.forEach((f, folder) => {
    const store = f.engine.index;
    const own = source?.folder === folder ? source.rel : undefined;
    const filter = (id: number): boolean => {
      const c = store.chunks.get(id);
      return !!c && !(c.path === own && c.startLine <= lines.endLine && lines.startLine <= c.endLine);
    };
    for (const r of store.nearest(vector, Math.max(50, k * 5), filter)) {
      owners.push({ folder, id: r.id });
      ranked.push({ id: owners.length - 1, score: r.score });
    }
  });
  ranked.sort((a, b) => b.score - a.score);
  return mergedHits(folders, owners, ranked, k, signal);
}

/** The best k of a ranking over all folders, without hits overlapping a better one in the same file. */
async function mergedHits(
  folders: readonly SearchFolder[],
  owners: { folder: number; id: number }[],
  ranked: Ranked[],
  k: number,
  signal: AbortSignal | undefined,
  keep?: (rel: string) => boolean,
): Promise<WorkspaceHit[]> {
  const kept: { folder: number; id: number; path: string; startLine: number; endLine: number; ranked: Ranked }[] = [];
  for (const r of ranked) {
    const o = owners[r.id];
    const c = folders[o.folder].engine.index.chunks.get(o.id);
    if (!c || (keep && !keep(c.path))) continue;
    const { startLine, endLine } = r.lines ?? c;
    if (kept.some((x) => x.folder === o.folder && x.path === c.path && x.startLine <= endLine && startLine <= x.endLine)) continue;
    kept.push({ folder: o.folder, id: o.id, path: c.path, startLine, endLine, ranked: r });
    if (kept.length >= k) break;
  }
  // One toHits per folder (it reads that folder's files at once), then back into the merged order.
  const byFolder = new Map<number, typeof kept>();
  for (const x of kept) {
    const list = byFolder.get(x.folder);
    if (list) list.push(x);
    else byFolder.set(x.folder, [x]);
  }
  const hitOf = new Map<string, WorkspaceHit>();
  await Promise.all(
    [...byFolder].map(async ([folder, xs]) => {
      const hits = await toHits(folders[folder].engine.index, folders[folder].path, xs.map(({ id, ranked: r }) => ({ id, score: r.score, lines: r.lines, defines: r.defines })));
      for (const h of hits) hitOf.set(`${folder}:${h.id}`, { ...h, folder, snippet: '' });
    }),
  );
  const out = kept.flatMap((x) => {
    const h = hitOf.get(`${x.folder}:${x.id}`);
    return h ? [h] : [];
  });
  return withSnippets(folders, out, signal);
}

/** Adds each hit's snippet; a file holding several hits is read once, and all files at once. */
async function withSnippets(folders: readonly SearchFolder[], hits: WorkspaceHit[], signal: AbortSignal | undefined, query = ''): Promise<WorkspaceHit[]> {
  throwIfAborted(signal);
  const files = new Map<string, Promise<Buffer | undefined>>();
  const bytesOf = (h: WorkspaceHit): Promise<Buffer | undefined> => {
    const abs = path.join(folders[h.folder].path, h.path);
    let p = files.get(abs);
    if (!p) files.set(abs, (p = fs.readFile(abs).catch(() => undefined)));
    return p;
  };
  const snippets = await Promise.all(hits.map(async (h) => snippetOf(await bytesOf(h), h, query)));
  throwIfAborted(signal);
  hits.forEach((h, i) => Object.assign(h, snippets[i]));
  return hits;
}

/** Lines of a snippet. */
const SNIPPET_LINES = 8;

/**
 * Up to eight lines of a hit for the panel: those around the lines holding query words (snippetWindow),
 * else the first ones; with the line number the snippet starts at and the lines that matched.
 */
function snippetOf(
  bytes: Buffer | undefined,
  h: { path: string; startLine: number; endLine: number },
  query: string,
): Pick<WorkspaceHit, 'snippet' | 'snippetStartLine' | 'matchedLines'> {
  if (!bytes) return { snippet: '' };
  try {
    const lines = decodeLines(bytes, h.startLine, h.endLine) ?? [];
    const w = snippetWindow(lines, query, SNIPPET_LINES);
    const matched = w.matched.filter((i) => i >= w.start && i < w.end).map((i) => h.startLine + i);
    return { snippet: lines.slice(w.start, w.end).join('\n').slice(0, 600), snippetStartLine: h.startLine + w.start, ...(matched.length ? { matchedLines: matched } : {}) };
  } catch {
    return { snippet: '' };
  }
}
