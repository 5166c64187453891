// Shared helpers for the benchmark steps (bench/*.mjs) and their entry point (scripts/bench.mjs).
// Steps are plain ES modules that drive the compiled engine in out/ (tsc) — the same classes the CLI,
// the extension's worker and the tests use. Each step runs in its own process and prints one result
// line `BENCH_RESULT {json}` on stdout.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BENCH_DIR = path.join(ROOT, 'bench');
export const require = createRequire(path.join(ROOT, 'package.json'));

/** A compiled engine module, e.g. core('core/engine') → out/src/core/engine.js. */
export function core(mod) {
  return require(path.join(ROOT, 'out', 'src', `${mod}.js`));
}

export const MODEL_ID = 'Xenova/all-MiniLM-L6-v2';
export const DTYPE = process.env.KINDRED_BENCH_DTYPE === 'fp32' ? 'fp32' : 'q8';
export const DIMS = 384;
export const MODEL_KEY = { id: MODEL_ID, dtype: DTYPE, dims: DIMS };

export function modelSource() {
  const { defaultModelsDir } = core('core/paths');
  return { modelId: MODEL_ID, modelsDir: defaultModelsDir(), allowDownload: false, dtype: DTYPE };
}

export const loadavg = () => os.loadavg().map((x) => Math.round(x * 100) / 100);

export const round = (x, d = 1) => (x === undefined || x === null || Number.isNaN(x) ? x : Math.round(x * 10 ** d) / 10 ** d);
export const mb = (bytes) => round(bytes / (1024 * 1024), 1);

/** Nearest-rank percentile of a list of numbers. */
export function percentile(values, p) {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export function stats(values, d = 1) {
  if (values.length === 0) return { n: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return {
    n: values.length,
    p50: round(percentile(values, 50), d),
    p95: round(percentile(values, 95), d),
    max: round(Math.max(...values), d),
    mean: round(mean, d),
  };
}

/** Deterministic PRNG (mulberry32): the engine's own, from the compiled clustering code. */
export function rng(seed) {
  return core('core/cluster/vecmath').seededRandom(seed);
}

/** Standard normal samples from a uniform PRNG (Box-Muller). */
export function gaussian(rand) {
  let spare;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** Samples the process's RSS (all threads) every `everyMs`; `stop()` returns the peak seen. */
export function rssSampler(everyMs = 50) {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

/** Parses `--key value` / `--flag` arguments. */
export function parseArgs(argv = process.argv.slice(2)) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out[a.slice(2)] = argv[++i];
    else out[a.slice(2)] = true;
  }
  return out;
}

/** A step's result: the last line of its stdout. */
export function emit(result) {
  process.stdout.write(`BENCH_RESULT ${JSON.stringify({ ...result, loadavgEnd: loadavg() })}\n`);
}

export const log = (m) => process.stderr.write(`[bench] ${m}\n`);

/**
 * Runs a step (bench/<script>) in a fresh Node process and returns its BENCH_RESULT object,
 * with the wall time and the load average when it started.
 */
export function runStep(script, args = [], { env = {}, timeoutMs = 30 * 60_000, nodeArgs = [], quiet = false } = {}) {
  const started = performance.now();
  const loadStart = loadavg();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, path.join(BENCH_DIR, script), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderrTail = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderrTail = (stderrTail + d).slice(-4000);
      if (!quiet) process.stderr.write(d);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').reverse().find((l) => l.startsWith('BENCH_RESULT '));
      if (code !== 0 || !line) {
        reject(new Error(`${script} failed (${signal ?? `exit ${code}`}): ${stderrTail.trim().split('\n').slice(-8).join('\n')}`));
        return;
      }
      const result = JSON.parse(line.slice('BENCH_RESULT '.length));
      resolve({ ...result, stepSeconds: round((performance.now() - started) / 1000, 1), loadavgStart: loadStart });
    });
  });
}

/** Lets a child step fail loudly: prints the error and exits 1. */
export function main(fn) {
  fn().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`${e?.stack ?? e}\n`);
      process.exit(1);
    },
  );
}
