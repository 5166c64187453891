/**
 * The `kindred` command line: index, search, similar, stats. It drives the same core engine as
 * the extension. Results go to stdout (JSON with --json), progress and errors to stderr.
 */
import { parseArgs } from 'node:util';
import * as path from 'node:path';
import { DEFAULT_EXCLUDES } from '../core/discovery';
import { Engine, type EngineOptions } from '../core/engine';
import { errorMessage, isKindredError } from '../core/errors';
import { silentLogger, stderrLogger } from '../core/log';
import type { SearchHit, SearchMode } from '../core/search';
import { ProgressBar } from './progress';

const USAGE = `Usage: kindred <command> [options]

Commands:
  index   <folder>                     Index a folder (incremental)
  search  <folder> "<query>"           Search by meaning (hybrid: semantic + keywords)
  similar <folder> <path>:<start>-<end> Find code similar to a line range
  stats   <folder>                     Files, chunks, model, dimension, bytes on disk

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
  --mode M            hybrid | vector | bm25 (default: hybrid)
  --no-update         Do not bring the index up to date before reading it
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
  'no-update': { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function intOption(values: Values, name: 'threads' | 'max-file-size' | 'k', min: number): number | undefined {
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
  };
}

async function withEngine<T>(folder: string, values: Values, update: boolean, fn: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = await Engine.open(engineOptions(folder, values));
  try {
    if (update) {
      const bar = values.json ? undefined : new ProgressBar();
      try {
        await engine.update({ onProgress: bar ? (p) => bar.update(p) : undefined });
      } catch (e) {
        // Another process is writing: read the index as it is.
        if (isKindredError(e) && e.code === 'index-locked') process.stderr.write(`warning: ${e.message} Searching the index as it is.\n`);
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
    const results = hits.map(({ path: p, startLine, endLine, score, symbol, preview }) => ({ path: p, startLine, endLine, score, symbol: symbol ?? null, preview }));
    process.stdout.write(`${JSON.stringify({ results })}\n`);
    return;
  }
  if (hits.length === 0) {
    process.stdout.write('No results.\n');
    return;
  }
  for (const h of hits) {
    const sym = h.symbol ? `  ${h.symbol}` : '';
    process.stdout.write(`${h.score.toFixed(4)}  ${h.path}:${h.startLine}-${h.endLine}${sym}\n        ${h.preview}\n`);
  }
}

function parseRange(spec: string): { file: string; start: number; end: number } {
  const m = /^(.*):(\d+)(?:-(\d+))?$/.exec(spec);
  if (!m) throw new UsageError(`expected <path>:<start>-<end>, got "${spec}"`);
  const start = Number(m[2]);
  const end = m[3] ? Number(m[3]) : start;
  if (start < 1 || end < start) throw new UsageError(`bad line range in "${spec}"`);
  return { file: m[1], start, end };
}

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    process.stderr.write(`kindred: ${(e as Error).message}\n\n${USAGE}`);
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
          const summary = await engine.update({ onProgress: bar ? (p) => bar.update(p) : undefined });
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
        const hits = await withEngine(rest[0], values, update, (e) => e.search(rest[1], { k, mode }));
        printHits(hits, values.json);
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
        const stats = await withEngine(rest[0], values, update, (e) => e.stats());
        if (values.json) process.stdout.write(`${JSON.stringify(stats)}\n`);
        else {
          process.stdout.write(
            `${stats.folder}\n  files ${stats.files}, chunks ${stats.chunks} (${stats.vectors} embedded)\n` +
              `  model ${stats.model} (${stats.dtype}, ${stats.dimension} dims)\n` +
              `  index ${stats.indexDir}: ${stats.bytesOnDisk} bytes (${stats.bytesPerChunk} per chunk)\n`,
          );
        }
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`kindred: ${e.message}\n\n${USAGE}`);
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
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`kindred: ${errorMessage(e)}\n`);
      process.exit(1);
    },
  );
}
