// Shared plumbing for run-code-server.mjs and ui.mjs: start code-server in its own process group
// with throw-away dirs, launch Debian's chromium through playwright-core, and clean up.
// See /work/shared/docs/vscode-e2e.md for why it is done this way.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import util from 'node:util';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SETUP = path.resolve(HERE, '../../scripts/tools/setup-code-server.mjs');

export const CHROMIUM = process.env.KINDRED_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
];

export const USER_SETTINGS = {
  'update.mode': 'none',
  'update.showReleaseNotes': false,
  'telemetry.telemetryLevel': 'off',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'git.openRepositoryInParentFolders': 'never',
};

export class HarnessError extends Error {}

export function makeLog(prefix, quiet = false) {
  return quiet ? () => {} : (msg) => process.stderr.write(`[${prefix}] ${msg}\n`);
}

/** Path of the code-server wrapper: $KINDRED_CODE_SERVER, or installs/locates it via setup-code-server.mjs. */
export async function resolveCodeServer(log) {
  if (process.env.KINDRED_CODE_SERVER) return process.env.KINDRED_CODE_SERVER;
  const { ensureCodeServer } = await import(SETUP);
  const r = await ensureCodeServer({ log: (m) => log(`setup: ${m}`) });
  return r.codeServer;
}

/** Kills a detached child's whole process group: SIGTERM, then SIGKILL after graceMs. */
export async function killGroup(pid, graceMs = 3000) {
  if (!pid) return;
  const alive = () => { try { process.kill(-pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
  if (!alive()) return;
  try { process.kill(-pid, 'SIGTERM'); } catch {}
  const end = Date.now() + graceMs;
  while (alive() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  if (alive()) { try { process.kill(-pid, 'SIGKILL'); } catch {} }
}

function killGroupSync(pid) {
  if (!pid) return;
  try { process.kill(-pid, 'SIGKILL'); } catch {}
}

// Everything started here is registered so that an exit, a signal or an uncaught error cleans it up.
const cleanups = new Set();
let hooksInstalled = false;
let signalHandler = null;
let shuttingDown = false;
/** Runs every registered async cleanup (code-server groups, browsers). */
export async function cleanupAll() {
  await Promise.allSettled([...cleanups].map((c) => c.async()));
}
/** Replaces the default signal behaviour (clean up everything, exit 130/143) with fn(signal). */
export function onSignal(fn) {
  installExitHooks();
  signalHandler = fn;
}
function installExitHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => { for (const c of cleanups) { try { c.sync(); } catch {} } });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, async () => {
      if (shuttingDown) return;
      shuttingDown = true;
      process.stderr.write(`[e2e] received ${sig}, shutting down\n`);
      if (signalHandler) return signalHandler(sig);
      await cleanupAll();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}
export function registerCleanup(asyncFn, syncFn) {
  installExitHooks();
  const c = { async: asyncFn, sync: syncFn };
  cleanups.add(c);
  return () => cleanups.delete(c);
}

function writeJson(file, obj) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(obj, null, 2) + '\n');
}

/**
 * Starts code-server detached with its own temp dirs.
 * @param {object} o
 * @param {string} o.codeServer   wrapper path from setup-code-server
 * @param {string[]} [o.vsix]     VSIX files to install first (code-server --install-extension)
 * @param {object} [o.settings]   extra user settings
 * @param {object} [o.env]        extra env for code-server (and so for the extension host)
 * @param {boolean} [o.smokeTestDriver]  pass --vscode-option enable-smoke-test-driver (needed for the test payload)
 * @param {(m:string)=>void} o.log
 * @param {boolean} [o.verbose]   echo code-server's output to stderr
 * @returns {Promise<{url:string, host:string, port:number, tmp:string, pid:number, logFile:string, proc, onExit:Promise<{code:number|null, signal:string|null}>, stop:()=>Promise<void>}>}
 */
export async function startCodeServer(o) {
  const log = o.log;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kindred-cs-'));
  const dirs = {
    data: path.join(tmp, 'data'),
    ext: path.join(tmp, 'ext'),
    config: path.join(tmp, 'config.yaml'),
    xdgData: path.join(tmp, 'xdg-data'),
  };
  fs.mkdirSync(dirs.ext, { recursive: true });
  fs.writeFileSync(dirs.config, 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');
  writeJson(path.join(dirs.data, 'User', 'settings.json'), { ...USER_SETTINGS, ...(o.settings || {}) });
  const common = ['--config', dirs.config, '--user-data-dir', dirs.data, '--extensions-dir', dirs.ext];
  // XDG_DATA_HOME: code-server writes its own logs there (default ~/.local/share/code-server).
  const env = { ...process.env, XDG_DATA_HOME: dirs.xdgData, ...(o.env || {}) };
  delete env.VSCODE_IPC_HOOK_CLI; // if run from a VS Code terminal, don't talk to that instance

  for (const vsix of o.vsix || []) {
    const t0 = Date.now();
    const r = spawnSync(o.codeServer, [...common, '--install-extension', path.resolve(vsix), '--force'],
      { env, encoding: 'utf8', timeout: 120000 });
    const out = `${r.stdout || ''}${r.stderr || ''}`.trim();
    if (r.status !== 0 || /failed|error/i.test(out) && !/successfully installed/i.test(out)) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw new HarnessError(`code-server --install-extension ${vsix} failed: ${out.split('\n').pop() || r.error || 'exit ' + r.status}`);
    }
    log(`installed ${path.basename(vsix)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  const args = [
    '--bind-addr', '127.0.0.1:0', '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override',
    ...common,
  ];
  if (o.smokeTestDriver !== false) args.push('--vscode-option', 'enable-smoke-test-driver');
  const logFile = path.join(tmp, 'code-server.log');
  const logFd = fs.openSync(logFile, 'a');
  const proc = spawn(o.codeServer, args, { detached: true, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = proc.pid;
  let stopped = false;
  const unregister = registerCleanup(() => stop(), () => { killGroupSync(pid); rmTmp(); });
  function rmTmp() { if (!o.keepTmp) { try { fs.rmSync(tmp, { recursive: true, force: true }); } catch {} } }
  async function stop() {
    if (stopped) return;
    stopped = true;
    await killGroup(pid);
    try { fs.closeSync(logFd); } catch {}
    rmTmp();
    unregister();
  }
  const onExit = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));

  const url = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new HarnessError(`code-server did not print "HTTP server listening" within 60 s (log: ${logFile})`)), 60000);
    const onData = (chunk) => {
      fs.writeSync(logFd, chunk);
      if (o.verbose) process.stderr.write(chunk);
      buf += chunk.toString();
      const m = /HTTP server listening on (http:\/\/[^\s]+)/.exec(buf);
      if (m) { clearTimeout(timer); resolve(m[1].replace(/\/$/, '')); buf = ''; }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('error', (e) => { clearTimeout(timer); reject(new HarnessError(`cannot start code-server ${o.codeServer}: ${e.message}`)); });
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new HarnessError(`code-server exited early (${signal || 'exit ' + code}): ${buf.trim().split('\n').slice(-3).join(' | ')}`));
    });
  }).catch(async (e) => { await stop(); throw e; });
  const u = new URL(url);
  log(`code-server ${u.host} up (pid group ${pid}, tmp ${tmp})`);
  return { url, host: u.host, port: Number(u.port), tmp, pid, logFile, proc, onExit, stop, dirs };
}

/** Launches Debian chromium headless through playwright-core (from the repo's node_modules). */
export async function launchBrowser({ log, viewport = { width: 1400, height: 900 } } = {}) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new HarnessError(`${CHROMIUM} not found: run node scripts/tools/setup-code-server.mjs (installs Debian chromium)`);
  }
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    throw new HarnessError(`cannot load playwright-core (npm install in the repo first): ${e.message}`);
  }
  // Signals are handled here (onSignal/registerCleanup), not by playwright's own exit-on-SIGINT.
  const browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS,
    handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
  });
  // playwright starts chromium as a process-group leader; its pid lets us kill leftover children too.
  let pid = 0;
  try {
    const cdp = await browser.newBrowserCDPSession();
    const info = await cdp.send('SystemInfo.getProcessInfo');
    pid = info.processInfo.find((p) => p.type === 'browser')?.id || 0;
    await cdp.detach();
  } catch {}
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
    await killGroup(pid, 1000);
    unregister();
  };
  const unregister = registerCleanup(close, () => killGroupSync(pid));
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  log?.(`chromium ${browser.version()} launched (pid ${pid})`);
  return { browser, context, page, pid, close };
}

/** http://host:port/?folder=...&payload=... */
export function workbenchUrl(baseUrl, { folder, payload } = {}) {
  const u = new URL(baseUrl + '/');
  if (folder) u.searchParams.set('folder', folder);
  if (payload) u.searchParams.set('payload', JSON.stringify(payload));
  return u.toString();
}

export function remoteUri(host, absPath) {
  return `vscode-remote://${host}${absPath.split(path.sep).map(encodeURIComponent).join('/')}`;
}

/** Formats codeAutomationLog(level, args) arguments (console-style: format string + args) into one string. */
export function formatLogArgs(args) {
  const arr = Array.isArray(args) ? args : [args];
  return util.format(...arr);
}
