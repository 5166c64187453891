/**
 * The MCP tools: input/output schemas and descriptions written for a model, and what each call does
 * on the engine. Every result carries `stale`/`note` so the agent knows when the index is behind.
 */
import * as path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { computeClusters, formatClusters } from '../core/cluster';
import { DEFAULT_CONTEXT_BUDGET, LineCache, packContext, searchFiltered } from '../core/context';
import { errorMessage, isKindredError, KindredError } from '../core/errors';
import type { SearchHit, SearchMode } from '../core/search';
import { FILE_GROUP_DEPTH, groupByFile } from '../core/ranking/group';
import type { McpSession } from './session';

type JsonSchema = Record<string, unknown>;

const hitSchema: JsonSchema = {
  type: 'object',
  properties: {
    path: { type: 'string', description: 'File path relative to the indexed folder' },
    startLine: { type: 'integer', description: 'First line (1-based)' },
    endLine: { type: 'integer', description: 'Last line (inclusive)' },
    symbol: { type: ['string', 'null'], description: 'Function, method, class or heading the range belongs to' },
    score: { type: 'number', description: 'Ranking score, higher is better (only comparable within one call)' },
    snippet: { type: 'string', description: 'The first lines of the range' },
    duplicates: {
      type: 'array',
      description: 'Other places holding exactly the same code (present only when there are some): a change to this code may be needed there too',
      items: { type: 'object', properties: { path: { type: 'string' }, startLine: { type: 'integer' }, endLine: { type: 'integer' } }, required: ['path', 'startLine', 'endLine'] },
    },
  },
  required: ['path', 'startLine', 'endLine', 'symbol', 'score', 'snippet'],
};

const freshnessProperties = {
  stale: { type: 'boolean', description: 'True while the index is still being built or updated: recent changes may be missing' },
  note: { type: ['string', 'null'], description: 'Why results may be incomplete, if they may be' },
};

const resultsSchema: JsonSchema = {
  type: 'object',
  properties: { results: { type: 'array', items: hitSchema }, ...freshnessProperties },
  required: ['results', 'stale', 'note'],
};

/** A search or find_similar result as the tools return it (the `results` items of their output schema). */
export interface Hit {
  path: string;
  startLine: number;
  endLine: number;
  symbol: string | null;
  score: number;
  snippet: string;
  /** The same code elsewhere (only when there is some). */
  duplicates?: { path: string; startLine: number; endLine: number }[];
}

const SNIPPET_LINES = 4;
const SNIPPET_CHARS = 320;

async function toResults(hits: SearchHit[], folder: string): Promise<Hit[]> {
  const cache = new LineCache(folder);
  const out: Hit[] = [];
  for (const h of hits) {
    out.push({
      path: h.path,
      startLine: h.startLine,
      endLine: h.endLine,
      symbol: h.symbol ?? null,
      score: h.score,
      snippet: await cache.snippet(h, SNIPPET_LINES, SNIPPET_CHARS),
      ...(h.duplicates?.length ? { duplicates: h.duplicates } : {}),
    });
  }
  return out;
}

function formatResults(results: Hit[], fresh: { stale: boolean; note: string | null }): string {
  const lines = results.map((r, i) => {
    const head = `${i + 1}. ${r.path}:${r.startLine}-${r.endLine}${r.symbol ? ` ${r.symbol}` : ''} (score ${r.score})`;
    const body = r.snippet ? `\n${r.snippet.split('\n').map((l) => `   ${l}`).join('\n')}` : '';
    const also = r.duplicates?.length ? `\n   (identical in ${r.duplicates.map((d) => `${d.path}:${d.startLine}-${d.endLine}`).join(', ')})` : '';
    return head + body + also;
  });
  if (!lines.length) lines.push('No results.');
  if (fresh.note) lines.push(`Note: ${fresh.note}`);
  return lines.join('\n');
}

/** A failed call as a tool result the model can read (isError), with the fix when there is one. */
export function toolFailure(e: unknown): CallToolResult {
  const text = isKindredError(e) ? e.toUserString() : errorMessage(e);
  return { isError: true, content: [{ type: 'text', text }] };
}

/** A path from the agent (relative to the folder, or absolute inside it) as the index's relative path. */
function relativePath(folder: string, p: string): string {
  const rel = path.relative(folder, path.resolve(folder, p));
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) throw new KindredError('bad-argument', `${p} is not a file inside ${folder}.`);
  return rel.split(path.sep).join('/');
}

/** One MCP tool: what the model sees (name, description, schemas) and what a call does. */
export interface ToolDef {
  name: string;
  title: string;
  description: string;
  inputSchema: JsonSchema;
  outputSchema?: JsonSchema;
  run(session: McpSession, args: Record<string, unknown>): Promise<CallToolResult>;
}

/** Every tool only reads. */
export const TOOL_ANNOTATIONS = { readOnlyHint: true, destructiveHint: false, openWorldHint: false, idempotentHint: true } as const;

const k = { type: 'integer', minimum: 1, maximum: 50, description: 'Number of results (default 8)' };

function withResults(results: Hit[], session: McpSession): CallToolResult {
  const fresh = session.freshness();
  return { content: [{ type: 'text', text: formatResults(results, fresh) }], structuredContent: { results, ...fresh } };
}

/** The tools table. Arguments are validated against inputSchema before `run` (see server.ts). */
export const TOOLS: ToolDef[] = [
  {
    name: 'search',
    title: 'Semantic code search',
    description:
      'Find code by what it does, described in natural language or as a code-ish phrase (e.g. "where is the retry policy for uploads decided", "parse config file and apply defaults"). ' +
      'Ranks functions, methods and document sections by meaning and keywords together, so it finds code whose names you do not know yet; prefer grep when you already know an exact identifier or string. ' +
      'Returns up to k locations as path:start-end with the symbol, a score and the first lines of each.',
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', minLength: 1, description: 'What you are looking for, in words (a question, a description of behaviour, or identifiers)' },
        k,
        path: { type: 'string', description: 'Only search under this folder or gitignore-style glob, relative to the indexed folder (e.g. "src/core", "*.py", "src/**/test_*")' },
        mode: { type: 'string', enum: ['hybrid', 'vector', 'bm25'], description: 'hybrid (default): meaning + keywords; vector: meaning only; bm25: keywords only' },
        group: { type: 'string', enum: ['chunks', 'files'], description: 'chunks (default): the best ranges; files: one result per file (its best range), for "which files deal with X?"' },
      },
      required: ['query'],
      additionalProperties: false,
    },
    outputSchema: resultsSchema,
    async run(session, a) {
      const engine = await session.ready();
      const k = (a.k as number | undefined) ?? 8;
      const byFile = a.group === 'files';
      const hits = await searchFiltered(engine, a.query as string, { k: byFile ? k * FILE_GROUP_DEPTH : k, mode: a.mode as SearchMode | undefined, path: a.path as string | undefined });
      const shown = byFile ? groupByFile(hits, k).map((f) => f.hits[0]) : hits;
      return withResults(await toResults(shown, engine.folder), session);
    },
  },
  {
    name: 'find_similar',
    title: 'Find similar code',
    description:
      'Find code similar in meaning to a line range of a file: duplicated or copy-pasted logic, other implementations of the same idea, tests of similar code. ' +
      'Use it before changing or refactoring code that might exist more than once. The source range itself is excluded. Same result shape as search.',
    inputSchema: {
      type: 'object',
      properties: {
        path: { type: 'string', minLength: 1, description: 'File path, relative to the indexed folder (or absolute inside it)' },
        startLine: { type: 'integer', minimum: 1, description: 'First line of the range (1-based)' },
        endLine: { type: 'integer', minimum: 1, description: 'Last line of the range (inclusive)' },
        k,
      },
      required: ['path', 'startLine', 'endLine'],
      additionalProperties: false,
    },
    outputSchema: resultsSchema,
    async run(session, a) {
      const startLine = a.startLine as number;
      const endLine = a.endLine as number;
      if (endLine < startLine) throw new KindredError('bad-argument', `endLine (${endLine}) is before startLine (${startLine}).`);
      const engine = await session.ready();
      const rel = relativePath(engine.folder, a.path as string);
      return withResults(await toResults(await engine.similar(rel, startLine, endLine, { k: (a.k as number | undefined) ?? 8 }), engine.folder), session);
    },
  },
  {
    name: 'context',
    title: 'Code context for a question',
    description:
      'Get the code most relevant to a question in one call: the full text of the best-matching functions and sections, overlapping and neighbouring hits merged, ' +
      'duplicates once, grouped by file, cut to a token budget. Each block is headed "path:start-end (symbol)". Use it to read up on how something works without opening whole files.',
    inputSchema: {
      type: 'object',
      properties: {
        question: { type: 'string', minLength: 1, description: 'The question or task, in words' },
        budget: { type: 'integer', minimum: 100, maximum: 100000, description: `Maximum tokens of code to return (default ${DEFAULT_CONTEXT_BUDGET})` },
        path: { type: 'string', description: 'Only use code under this folder or gitignore-style glob, relative to the indexed folder' },
      },
      required: ['question'],
      additionalProperties: false,
    },
    async run(session, a) {
      const engine = await session.ready();
      const packed = await packContext(engine, a.question as string, { budget: (a.budget as number | undefined) ?? DEFAULT_CONTEXT_BUDGET, path: a.path as string | undefined });
      const fresh = session.freshness();
      const tail = [
        packed.blocks.length ? '' : 'No matching code.',
        packed.omitted ? `(${packed.omitted} further matches left out to stay within ${packed.budget} tokens)` : '',
        fresh.note ? `Note: ${fresh.note}` : '',
      ].filter(Boolean);
      return { content: [{ type: 'text', text: [packed.text, ...tail].filter(Boolean).join('\n\n') }] };
    },
  },
  {
    name: 'index_status',
    title: 'Index status',
    description: 'How complete and fresh the semantic index is: files, chunks, the share embedded, the model, when it was last updated, and whether results may be stale.',
    inputSchema: { type: 'object', properties: {}, additionalProperties: false },
    outputSchema: {
      type: 'object',
      properties: {
        folder: { type: 'string' },
        files: { type: 'integer' },
        chunks: { type: 'integer' },
        embedded: { type: 'integer', description: 'Chunks with a vector; the rest are found by keywords only' },
        embeddedShare: { type: 'number', description: 'embedded / chunks, 0-1' },
        model: { type: 'string' },
        lastUpdate: { type: ['string', 'null'], description: 'ISO time the last update by this server finished' },
        updating: { type: 'boolean' },
        readOnly: { type: 'boolean', description: 'Another process holds the write lock: the index is read as it is on disk' },
        ...freshnessProperties,
      },
      required: ['folder', 'files', 'chunks', 'embedded', 'embeddedShare', 'model', 'lastUpdate', 'updating', 'readOnly', 'stale', 'note'],
    },
    async run(session) {
      const s = await session.status();
      const out = {
        folder: s.folder,
        files: s.files,
        chunks: s.chunks,
        embedded: s.embedded,
        embeddedShare: s.embeddedShare,
        model: s.model,
        lastUpdate: s.lastUpdate,
        updating: s.updating,
        readOnly: s.readOnly,
        stale: s.stale,
        note: s.note,
      };
      const text =
        `${s.folder}: ${s.files} files, ${s.chunks} chunks, ${s.embedded} embedded (${Math.round(s.embeddedShare * 100)}%), model ${s.model}` +
        `${s.lastUpdate ? `, updated ${s.lastUpdate}` : ''}${s.updating ? ', update running' : ''}${s.readOnly ? ', read-only' : ''}.` +
        (s.note ? `\n${s.note}` : '');
      return { content: [{ type: 'text', text }], structuredContent: out };
    },
  },
  {
    name: 'clusters',
    title: 'Clusters of related files',
    description: 'Group the files of the folder (or of a sub-folder) into clusters of related code, each labelled with its distinctive terms: a quick map of an unfamiliar codebase.',
    inputSchema: {
      type: 'object',
      properties: { scope: { type: 'string', description: 'Only files under this folder, relative to the indexed folder; a single file clusters its chunks' } },
      additionalProperties: false,
    },
    async run(session, a) {
      const engine = await session.ready();
      const rel = a.scope ? relativePath(engine.folder, a.scope as string) : undefined;
      const result = await computeClusters(engine, { method: 'kmeans', k: 'auto', scope: rel, level: 'file' });
      const fresh = session.freshness();
      return { content: [{ type: 'text', text: formatClusters(result) + (fresh.note ? `\nNote: ${fresh.note}` : '') }] };
    },
  },
];

