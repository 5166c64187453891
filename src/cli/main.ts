/**
 * The `kindred` command line: index, search, similar, stats. It drives the same core engine as
 * the extension. Results go to stdout (JSON with --json), progress and errors to stderr.
 */
import { parseArgs } from 'node:util';
import * as path from 'node:path';
import { DEFAULT_EXCLUDES } from '../core/discovery';
import { Engine, type EngineOptions } from '../core/engine';
import type { IndexOnDisk } from '../core/index/listing';
import { errorMessage, isKindredError } from '../core/errors';
import { silentLogger, stderrLogger } from '../core/log';
import type { SearchHit, SearchMode } from '../core/search';
import { FILE_GROUP_DEPTH, groupByFile, type FileHit } from '../core/ranking/group';
import { computeClusters, formatClusters } from '../core/cluster';
import { adaptCommand, ADAPT_USAGE } from './adapt';
import { evalCommand, EVAL_USAGE } from './eval';
import { ProgressBar } from './progress';
import { DEFAULT_CONTEXT_BUDGET, packContext } from '../core/context';
import { serveStdio } from '../mcp/server';
import { promises as fsp } from 'node:fs';

async function isDirectory(p: string): Promise<boolean> {
  return (await fsp.stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

const USAGE = `Usage: kindred <command> [options]

Commands:
  index   <folder>                     Index a folder (incremental)
  search  <folder> "<query>"           Search by meaning (hybrid: semantic + keywords)
  similar <folder> <path>:<start>-<end> Find code similar to a line range
  stats   <folder>                     Files, chunks, model, dimension, bytes on disk
  clusters <folder>                    Clusters of related files, labelled by their distinctive terms
  context <folder> "<question>"        The best code for a question, packed into a token budget (for LLM prompts)
  mcp     <folder>                     Serve the folder's index to coding agents (MCP over stdio)
  indexes <folder>                     The folder's indexes on disk (one per model + precision) and their sizes
  delete-index <folder> <name>         Delete one of them (a name from \`indexes\`)
${EVAL_USAGE}${ADAPT_USAGE}
Options:
  --index-dir DIR     Index location (default: a per-folder directory in ~/.cache/kindred/indexes)
  --models-dir DIR    Local models folder (default: $KINDRED_MODELS_DIR or ~/.cache/kindred/models)
  --model ID          Embedding model (default: Xenova/all-MiniLM-L6-v2)
  --dtype fp32|q8     Model weights (default: q8)
  --allow-download    Allow downloading the model from the Hugging Face Hub if it is not local
  --threads N         Embedding threads (default: all cores but one)
  --exclude GLOB      Extra gitignore-style exclude pattern (repeatable)
  --max-file-size N   Skip files larger than N bytes (default: 1048576)
  --k N               Number of results (default: 10)
  --group files       search: one result per file (ranked by its best chunk), with the chunks that matched
  --mode M            hybrid | vector | bm25 (default: hybrid; eval: all)
  --split S           eval: dev | test (default: test; tune: dev)
  --data DIR          eval: CoSQA data folder (default: ../shared/eval/cosqa)
  --k N|auto          clusters: number of clusters (default: auto, chosen by silhouette)
  --method M          clusters: kmeans | hierarchical (default: kmeans)
  --scope PATH        clusters: only files under PATH; a single file clusters its chunks
  --level L           clusters: file | chunk (default: file)
  --budget N          context: maximum tokens, counted with the model's tokenizer (default: 4000)
  --path P            context: only files under this folder or gitignore-style glob
  --no-update         Do not bring the index up to date before reading it (opens it read-only:
                      nothing is written, created or deleted)
  --no-adapter        search, context, mcp, eval workspace: leave the folder's query adapter (kindred adapt) off
  --json              Machine-readable output on stdout
  --verbose           Log skipped files and other details to stderr
  -h, --help          Show this help
`;

class UsageError extends Error {}

const OPTIONS = {
  'index-dir': { type: 'string' },
  'models-dir': { type: 'string' },
  model: { type: 'string' },
  dtype: { type: 'string' },
  'allow-download': { type: 'boolean' },
  threads: { type: 'string' },
  exclude: { type: 'string', multiple: true },
  'max-file-size': { type: 'string' },
  k: { type: 'string' },
  mode: { type: 'string' },
  split: { type: 'string' },
  data: { type: 'string' },
  method: { type: 'string' },
  scope: { type: 'string' },
  level: { type: 'string' },
  'no-update': { type: 'boolean' },
  'no-adapter': { type: 'boolean' },
  'export-pairs': { type: 'string' },
  seed: { type: 'string' },
  'dry-run': { type: 'boolean' },
  group: { type: 'string' },
  only: { type: 'string' },
  'per-query': { type: 'boolean' },
  ablate: { type: 'boolean' },
  budget: { type: 'string' },
  path: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function intOption(values: Values, name: 'threads' | 'max-file-size' | 'k' | 'budget', min: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

function engineOptions(folder: string, values: Values): EngineOptions {
  const dtype = values.dtype;
  if (dtype !== undefined && dtype !== 'fp32' && dtype !== 'q8') throw new UsageError(`--dtype must be fp32 or q8, got "${dtype}"`);
  return {
    folder,
    indexDir: values['index-dir'],
    modelsDir: values['models-dir'],
    modelId: values.model,
    dtype,
    allowDownload: values['allow-download'] ?? false,
    threads: intOption(values, 'threads', 1),
    maxFileBytes: intOption(values, 'max-file-size', 1),
    exclude: values.exclude ? [...DEFAULT_EXCLUDES, ...values.exclude] : undefined,
    logger: values.verbose ? stderrLogger : { ...silentLogger, warn: stderrLogger.warn },
    ...(values['no-adapter'] ? { adapter: false } : {}),
  };
}

/** KINDRED_CHECKPOINT_MS: save checkpoints this often while embedding (default 30 s; the crash tests set it low). */
function checkpointMs(): number | undefined {
  const n = Number(process.env.KINDRED_CHECKPOINT_MS);
  return process.env.KINDRED_CHECKPOINT_MS && Number.isFinite(n) && n >= 0 ? n : undefined;
}

async function withEngine<T>(
  folder: string,
  values: Values,
  update: boolean,
  fn: (engine: Engine) => Promise<T>,
  extra: Pick<EngineOptions, 'allowMissingModel'> = {},
): Promise<T> {
  // Without an update the index is opened read-only: a reader never writes, creates or deletes.
  const engine = await Engine.open({ ...engineOptions(folder, values), ...extra, readOnly: !update });
  try {
    if (update) {
      const bar = values.json ? undefined : new ProgressBar();
      try {
        await engine.update({ onProgress: bar ? (p) => bar.update(p) : undefined, checkpointMs: checkpointMs() });
      } catch (e) {
        // Another process is writing, or the index cannot be written here: read the index as it is.
        if (isKindredError(e) && (e.code === 'index-locked' || e.code === 'index-unwritable')) process.stderr.write(`warning: ${e.message} Searching the index as it is.\n`);
        else throw e;
      } finally {
        bar?.done();
      }
    }
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

function printHits(hits: SearchHit[], json: boolean | undefined): void {
  if (json) {
    const results = hits.map(({ path: p, startLine, endLine, score, symbol, preview, duplicates }) => ({
      path: p,
      startLine,
      endLine,
      score,
      symbol: symbol ?? null,
      preview,
      ...(duplicates ? { duplicates } : {}),
    }));
    process.stdout.write(`${JSON.stringify({ results })}\n`);
    return;
  }
  if (hits.length === 0) {
    process.stdout.write('No results.\n');
    return;
  }
  for (const h of hits) {
    const sym = h.symbol ? `  ${h.symbol}` : '';
    const also = h.duplicates?.length ? `\n        (identical in ${h.duplicates.map((d) => `${d.path}:${d.startLine}`).join(', ')})` : '';
    process.stdout.write(`${h.score.toFixed(4)}  ${h.path}:${h.startLine}-${h.endLine}${sym}\n        ${h.preview}${also}\n`);
  }
}

function printFiles(files: FileHit[], json: boolean | undefined): void {
  if (json) {
    const results = files.map((f) => ({
      path: f.path,
      score: f.score,
      hits: f.hits.map(({ startLine, endLine, score, symbol, preview }) => ({ startLine, endLine, score, symbol: symbol ?? null, preview })),
    }));
    process.stdout.write(`${JSON.stringify({ group: 'files', results })}\n`);
    return;
  }
  if (files.length === 0) {
    process.stdout.write('No results.\n');
    return;
  }
  for (const f of files) {
    process.stdout.write(`${f.score.toFixed(4)}  ${f.path}\n`);
    for (const h of f.hits) process.stdout.write(`        ${h.startLine}-${h.endLine}${h.symbol ? `  ${h.symbol}` : ''}  ${h.preview}\n`);
  }
}

function formatIndexes(indexes: IndexOnDisk[]): string {
  return indexes
    .map((i) => `    ${i.name}  ${i.model ? `${i.model.id} (${i.model.dtype}, ${i.model.dims} dims)` : `format ${i.format}`}  ${i.bytes} bytes\n`)
    .join('');
}

function parseRange(spec: string): { file: string; start: number; end: number } {
  const m = /^(.*):(\d+)(?:-(\d+))?$/.exec(spec);
  if (!m) throw new UsageError(`expected <path>:<start>-<end>, got "${spec}"`);
  const start = Number(m[2]);
  const end = m[3] ? Number(m[3]) : start;
  if (start < 1 || end < start) throw new UsageError(`bad line range in "${spec}"`);
  return { file: m[1], start, end };
}

/**
 * What a usage error prints: the message, the usage of the command it is about (its lines of the command list, or the
 * whole list when the command is unknown) and where the rest is. The full help (\`--help\`) would bury the message.
 */
export function usageError(message: string, command?: string): string {
  const list = USAGE.slice(USAGE.indexOf('Commands:\n') + 'Commands:\n'.length, USAGE.indexOf('\nOptions:'));
  const lines = list.split('\n');
  const mine: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!command || !lines[i].startsWith(`  ${command} `)) continue;
    mine.push(lines[i]);
    while (i + 1 < lines.length && /^ {4,}/.test(lines[i + 1])) mine.push(lines[++i]);
  }
  const usage = mine.length ? mine.join('\n') : list.replace(/\n+$/, '');
  return `kindred: ${message}\n\nUsage:\n${usage}\n\nRun "kindred --help" for every command and option.\n`;
}

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    process.stderr.write(usageError((e as Error).message, argv.find((a) => !a.startsWith('-'))));
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    (values.help ? process.stdout : process.stderr).write(USAGE);
    return values.help ? 0 : 2;
  }
  const update = !values['no-update'];
  try {
    const needs = (n: number, what: string): void => {
      if (rest.length !== n) throw new UsageError(`${command} takes ${what}`);
    };
    switch (command) {
      case 'index': {
        needs(1, '<folder>');
        const engine = await Engine.open(engineOptions(rest[0], values));
        try {
          const bar = values.json ? undefined : new ProgressBar();
          const summary = await engine.update({ onProgress: bar ? (p) => bar.update(p) : undefined, checkpointMs: checkpointMs() });
          bar?.done();
          if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
          else {
            const rate = summary.embedded && summary.seconds ? ` (${(summary.embedded / summary.seconds).toFixed(1)} chunks/s)` : '';
            process.stdout.write(
              `Indexed ${summary.files} files, ${summary.chunks} chunks: ${summary.embedded} embedded, ${summary.reused} reused, ` +
                `${summary.deleted} files removed, ${summary.skipped} skipped in ${summary.seconds}s${rate}.\n`,
            );
          }
        } finally {
          await engine.close();
        }
        return 0;
      }
      case 'search': {
        needs(2, '<folder> "<query>"');
        const mode = (values.mode ?? 'hybrid') as SearchMode;
        if (!['hybrid', 'vector', 'bm25'].includes(mode)) throw new UsageError(`--mode must be hybrid, vector or bm25`);
        const k = intOption(values, 'k', 1) ?? 10;
        const group = values.group;
        if (group !== undefined && group !== 'files') throw new UsageError('--group must be files');
        // Without a model, search still answers by keywords (a warning says why and how to fix it).
        // Grouped by file, more chunks are ranked so that k files can be filled.
        const hits = await withEngine(rest[0], values, update, (e) => e.search(rest[1], { k: group ? k * FILE_GROUP_DEPTH : k, mode, adapter: !values['no-adapter'] }), { allowMissingModel: true });
        if (group) printFiles(groupByFile(hits, k), values.json);
        else printHits(hits, values.json);
        return 0;
      }
      case 'similar': {
        needs(2, '<folder> <path>:<start>-<end>');
        const { file, start, end } = parseRange(rest[1]);
        const k = intOption(values, 'k', 1) ?? 10;
        const folder = path.resolve(rest[0]);
        const rel = path.isAbsolute(file) ? path.relative(folder, file) : file;
        if (rel.startsWith('..')) throw new UsageError(`${file} is outside ${folder}`);
        const hits = await withEngine(folder, values, update, (e) => e.similar(rel, start, end, { k }));
        printHits(hits, values.json);
        return 0;
      }
      case 'stats': {
        needs(1, '<folder>');
        const stats = await withEngine(rest[0], values, update, (e) => e.stats(), { allowMissingModel: true });
        if (values.json) process.stdout.write(`${JSON.stringify(stats)}\n`);
        else {
          process.stdout.write(
            `${stats.folder}\n  files ${stats.files}, chunks ${stats.chunks} (${stats.vectors} embedded)\n` +
              `  model ${stats.model} (${stats.dtype}, ${stats.dimension} dims)${stats.adapter ? ', query adapter on (kindred adapt)' : ''}\n` +
              `  index ${stats.storeDir}: ${stats.bytesOnDisk} bytes (${stats.bytesPerChunk} per chunk)\n` +
              `  indexes on disk:\n${formatIndexes(stats.indexes)}`,
          );
        }
        return 0;
      }
      case 'indexes': {
        needs(1, '<folder>');
        const indexes = await Engine.listIndexes(engineOptions(rest[0], values));
        process.stdout.write(values.json ? `${JSON.stringify({ indexes })}\n` : indexes.length ? formatIndexes(indexes) : 'No index on disk.\n');
        return 0;
      }
      case 'delete-index': {
        needs(2, '<folder> <name>');
        const deleted = await Engine.deleteIndex(engineOptions(rest[0], values), rest[1]);
        if (values.json) process.stdout.write(`${JSON.stringify({ deleted })}\n`);
        else process.stdout.write(deleted ? `Deleted the index ${rest[1]}.\n` : `No index named ${rest[1]} (see \`kindred indexes\`).\n`);
        return deleted ? 0 : 1;
      }
      case 'clusters': {
        needs(1, '<folder>');
        const method = values.method ?? 'kmeans';
        if (method !== 'kmeans' && method !== 'hierarchical') throw new UsageError('--method must be kmeans or hierarchical');
        const level = values.level ?? 'file';
        if (level !== 'file' && level !== 'chunk') throw new UsageError('--level must be file or chunk');
        const k = values.k === undefined || values.k === 'auto' ? 'auto' : intOption(values, 'k', 1)!;
        const folder = path.resolve(rest[0]);
        const scope = values.scope === undefined ? undefined : path.relative(folder, path.resolve(folder, values.scope)).split(path.sep).join('/');
        if (scope?.startsWith('..')) throw new UsageError(`${values.scope} is outside ${folder}`);
        const result = await withEngine(folder, values, update, (e) => computeClusters(e, { method, k, scope, level }));
        process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : formatClusters(result));
        return 0;
      }
      case 'context': {
        needs(2, '<folder> "<question>"');
        const mode = (values.mode ?? 'hybrid') as SearchMode;
        if (!['hybrid', 'vector', 'bm25'].includes(mode)) throw new UsageError(`--mode must be hybrid, vector or bm25`);
        const budget = intOption(values, 'budget', 1) ?? DEFAULT_CONTEXT_BUDGET;
        const candidates = intOption(values, 'k', 1);
        const packed = await withEngine(rest[0], values, update, (e) => packContext(e, rest[1], { budget, candidates, mode, path: values.path }), { allowMissingModel: true });
        if (values.json) process.stdout.write(`${JSON.stringify(packed)}\n`);
        else process.stdout.write(packed.text ? `${packed.text}\n` : 'No results.\n');
        process.stderr.write(`${packed.blocks.length} blocks, ${packed.tokens} of ${budget} tokens${packed.omitted ? `, ${packed.omitted} hits left out` : ''}${packed.duplicates.length ? `, ${packed.duplicates.length} duplicates` : ''}${packed.truncated ? ', the best hit cut to fit' : ''}\n`);
        return 0;
      }
      case 'mcp': {
        needs(1, '<folder>');
        const opts = engineOptions(rest[0], values);
        // Logs go to stderr (stdout is the protocol); the folder must exist before a client connects.
        opts.folder = path.resolve(opts.folder);
        if (!(await isDirectory(opts.folder))) throw new UsageError(`${opts.folder} is not a folder`);
        return await serveStdio({ ...opts, logger: values.verbose ? stderrLogger : { ...silentLogger, warn: stderrLogger.warn } }, update);
      }
      case 'eval':
        return await evalCommand(rest, values);
      case 'adapt':
        return await adaptCommand(rest, values);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(usageError(e.message, command));
      return 2;
    }
    if (isKindredError(e)) {
      process.stderr.write(`kindred: ${e.toUserString()}\n`);
      return 1;
    }
    process.stderr.write(`kindred: unexpected error: ${errorMessage(e)}\n${(e as Error)?.stack ?? ''}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    // Exit once stdout is flushed: into a pipe it is written asynchronously, and exiting at once cut
    // `kindred clusters --json | jq` off at 64 KB.
    (code) => process.stdout.write('', () => process.exit(code)),
    (e) => {
      process.stderr.write(`kindred: ${errorMessage(e)}\n`);
      process.exit(1);
    },
  );
}
