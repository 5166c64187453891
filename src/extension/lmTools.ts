/**
 * Language-model tools (`kindred_search`, `kindred_findSimilar`) for chat agent mode: the model calls
 * them by itself, users reference them as `#kindred`. Read-only, so no confirmation. They call the
 * engine through the typed EngineClient requests only.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WorkspaceHit } from '../shared/engineProtocol';
import type { Ctx } from './context';

export const SEARCH_TOOL = 'kindred_search';
export const SIMILAR_TOOL = 'kindred_findSimilar';

interface SearchInput {
  query: string;
  k?: number;
}

interface SimilarInput {
  path: string;
  startLine: number;
  endLine: number;
  k?: number;
}

/** A hit's path as the user sees it: relative to its folder, prefixed with the folder's name in a multi-root workspace. */
export function displayPath(ctx: Ctx, h: { folder: number; path: string }): string {
  const folders = ctx.status.folders;
  return folders.length > 1 && folders[h.folder] ? `${folders[h.folder].name}/${h.path}` : h.path;
}

/** Hits as text for a model: `path:start-end symbol (score)` and the first lines of each. */
export function formatHits(ctx: Ctx, hits: WorkspaceHit[]): string {
  if (!hits.length) return 'No results.';
  return hits
    .map((h, i) => {
      const snippet = h.snippet.split('\n').slice(0, 4).map((l) => `   ${l}`).join('\n');
      return `${i + 1}. ${displayPath(ctx, h)}:${h.startLine}-${h.endLine}${h.symbol ? ` ${h.symbol}` : ''} (score ${h.score})${snippet ? `\n${snippet}` : ''}`;
    })
    .join('\n');
}

function staleNote(ctx: Ctx): string {
  const s = ctx.status;
  if (s.state === 'indexing' || s.state === 'starting') return '\nNote: the index is still being built; results may be incomplete.';
  const pending = s.folders.reduce((n, f) => n + (f.chunks - f.embedded), 0);
  return pending > 0 ? `\nNote: ${pending} chunks are not embedded yet and are found by keywords only.` : '';
}

function clampK(k: unknown): number {
  return typeof k === 'number' && Number.isFinite(k) ? Math.min(50, Math.max(1, Math.floor(k))) : 8;
}

/** Resolves a tool's path (absolute, or relative to a workspace folder, optionally prefixed by the folder's name). */
function resolvePath(ctx: Ctx, p: string): string | undefined {
  if (path.isAbsolute(p)) return p;
  for (const f of ctx.status.folders) {
    const rel = p.startsWith(`${f.name}/`) && ctx.status.folders.length > 1 ? p.slice(f.name.length + 1) : p;
    const abs = path.join(f.path, rel);
    if (!path.relative(f.path, abs).startsWith('..')) return abs;
  }
  return undefined;
}

export function registerLmTools(ctx: Ctx): vscode.Disposable[] {
  const search: vscode.LanguageModelTool<SearchInput> = {
    prepareInvocation: (options) => ({ invocationMessage: `Searching the workspace by meaning for "${options.input.query}"` }),
    async invoke(options) {
      const query = String(options.input?.query ?? '').trim();
      if (!query) throw new Error('kindred_search needs a non-empty "query".');
      const hits = await ctx.client.request('search', { query, k: clampK(options.input.k) });
      return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(formatHits(ctx, hits) + staleNote(ctx))]);
    },
  };
  const similar: vscode.LanguageModelTool<SimilarInput> = {
    prepareInvocation: (options) => ({ invocationMessage: `Finding code similar to ${options.input.path}:${options.input.startLine}-${options.input.endLine}` }),
    async invoke(options) {
      const { path: p, startLine, endLine } = options.input ?? ({} as SimilarInput);
      if (typeof p !== 'string' || !Number.isInteger(startLine) || !Number.isInteger(endLine) || startLine < 1 || endLine < startLine) {
        throw new Error('kindred_findSimilar needs "path", and "startLine" <= "endLine" (1-based line numbers).');
      }
      const abs = resolvePath(ctx, p);
      if (!abs) throw new Error(`${p} is not inside a workspace folder.`);
      const hits = await ctx.client.request('similar', { path: abs, startLine, endLine, k: clampK(options.input.k) });
      return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(formatHits(ctx, hits) + staleNote(ctx))]);
    },
  };
  return [vscode.lm.registerTool(SEARCH_TOOL, search), vscode.lm.registerTool(SIMILAR_TOOL, similar)];
}
