#!/usr/bin/env node
// Runs the same compiled mocha suite as run-code-server.mjs, but in desktop VS Code through
// @vscode/test-electron's runTests: for machines that can download VS Code (a user's CI), or with a
// local VS Code given by --vscode-executable. (It cannot download here: use run-code-server.mjs.)
//
// usage: node test/e2e-runner/run-electron.mjs --extension <abs ext dir> --tests <abs suite dir>
//          --workspace <abs folder> [--env JSON] [--timeout SECONDS]
//          [--vscode-executable PATH] [--vscode-version stable|insiders|1.90.0] [--cache-path DIR]
//
// Env: KINDRED_VSCODE_EXECUTABLE, KINDRED_VSCODE_VERSION, KINDRED_E2E_TIMEOUT, KINDRED_CACHE_DIR
// (downloads go to <cache>/vscode-test unless --cache-path). On Linux without $DISPLAY it starts Xvfb
// if it is installed (Debian: xvfb), else asks for xvfb-run.
// exit code: the suite's (0 pass, non-zero fail), 124 on timeout, 2 on a harness error (e.g. download failed).

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { USER_SETTINGS } from './lib.mjs';

const log = (m) => process.stderr.write(`[run-electron] ${m}\n`);
function fail(msg, code = 2) {
  process.stderr.write(`run-electron: error: ${msg}\n`);
  process.exit(code);
}
function usage(msg) {
  process.stderr.write(`run-electron: ${msg}\nusage: node test/e2e-runner/run-electron.mjs --extension <abs ext dir> --tests <abs suite dir> --workspace <abs folder> [--env JSON] [--timeout SECONDS] [--vscode-executable PATH] [--vscode-version V] [--cache-path DIR]\n`);
  process.exit(2);
}

function parse() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        extension: { type: 'string' }, tests: { type: 'string' }, workspace: { type: 'string' },
        env: { type: 'string' }, timeout: { type: 'string' },
        'vscode-executable': { type: 'string' }, 'vscode-version': { type: 'string' }, 'cache-path': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) { usage(e.message); }
  if (values.help) usage('help');
  for (const k of ['extension', 'tests']) {
    if (!values[k]) usage(`--${k} is required`);
    values[k] = path.resolve(values[k]);
  }
  if (!fs.existsSync(path.join(values.extension, 'package.json'))) usage(`no package.json in --extension ${values.extension}`);
  if (fs.existsSync(values.tests) && fs.statSync(values.tests).isFile()) values.tests = path.dirname(values.tests);
  if (!fs.existsSync(path.join(values.tests, 'index.js'))) usage(`no index.js in --tests ${values.tests} (compile the suite first)`);
  if (values.workspace) {
    values.workspace = path.resolve(values.workspace);
    if (!fs.existsSync(values.workspace)) usage(`--workspace ${values.workspace} does not exist`);
  }
  let env = {};
  if (values.env) {
    try { env = JSON.parse(values.env); } catch (e) { usage(`--env is not JSON: ${e.message}`); }
    if (!env || typeof env !== 'object' || Array.isArray(env)) usage('--env must be a JSON object');
    env = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
  }
  const timeout = Number(values.timeout ?? process.env.KINDRED_E2E_TIMEOUT ?? 600);
  if (!(timeout > 0)) usage('--timeout must be a positive number of seconds');
  values.executable = values['vscode-executable'] || process.env.KINDRED_VSCODE_EXECUTABLE || '';
  if (values.executable && !fs.existsSync(values.executable)) usage(`--vscode-executable ${values.executable} does not exist`);
  values.version = values['vscode-version'] || process.env.KINDRED_VSCODE_VERSION || 'stable';
  values.cachePath = path.resolve(values['cache-path']
    || path.join(process.env.KINDRED_CACHE_DIR || path.join(os.homedir(), '.cache', 'kindred'), 'vscode-test'));
  return { ...values, env, timeout };
}

// ---- process-tree cleanup (runTests does not hand out the pid of the VS Code it spawns) ----
function childPids(root) {
  if (process.platform === 'win32') {
    const r = spawnSync('powershell', ['-NoProfile', '-Command',
      'Get-CimInstance Win32_Process | ForEach-Object { "$($_.ProcessId) $($_.ParentProcessId)" }'], { encoding: 'utf8' });
    return treeFrom(r.stdout || '', root);
  }
  const r = spawnSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  return treeFrom(r.stdout || '', root);
}
function treeFrom(table, root) {
  const kids = new Map();
  for (const line of table.split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (!pid) continue;
    if (!kids.has(ppid)) kids.set(ppid, []);
    kids.get(ppid).push(pid);
  }
  const out = [];
  const stack = [...(kids.get(root) || [])];
  while (stack.length) { const p = stack.pop(); out.push(p); stack.push(...(kids.get(p) || [])); }
  return out;
}
async function killDescendants(except = []) {
  const pids = childPids(process.pid).filter((p) => !except.includes(p));
  if (!pids.length) return;
  if (process.platform === 'win32') {
    for (const p of pids) spawnSync('taskkill', ['/pid', String(p), '/T', '/F']);
    return;
  }
  for (const p of pids) { try { process.kill(p, 'SIGTERM'); } catch {} }
  await new Promise((r) => setTimeout(r, 2000));
  for (const p of pids) { try { process.kill(p, 'SIGKILL'); } catch {} }
}

// ---- a display for Electron on headless Linux ----
async function ensureDisplay() {
  if (process.platform !== 'linux' || process.env.DISPLAY || process.env.WAYLAND_DISPLAY) return null;
  const xvfb = spawnSync('sh', ['-c', 'command -v Xvfb'], { encoding: 'utf8' }).stdout.trim();
  if (!xvfb) {
    fail('no $DISPLAY for Electron and Xvfb is not installed: run under `xvfb-run -a` (Debian package xvfb) or set DISPLAY');
  }
  for (let n = 99; n < 120; n++) {
    if (fs.existsSync(`/tmp/.X11-unix/X${n}`) || fs.existsSync(`/tmp/.X${n}-lock`)) continue;
    const proc = spawn(xvfb, [`:${n}`, '-screen', '0', '1600x1000x24', '-nolisten', 'tcp'], { stdio: 'ignore', detached: true });
    for (let i = 0; i < 50 && !fs.existsSync(`/tmp/.X11-unix/X${n}`); i++) await new Promise((r) => setTimeout(r, 100));
    if (fs.existsSync(`/tmp/.X11-unix/X${n}`)) { log(`started Xvfb on :${n}`); return { display: `:${n}`, proc }; }
    try { process.kill(-proc.pid, 'SIGKILL'); } catch {}
  }
  fail('could not start Xvfb on displays :99-:119');
}

async function main() {
  const opts = parse();
  let testElectron;
  try {
    testElectron = await import('@vscode/test-electron');
  } catch (e) {
    fail(`cannot load @vscode/test-electron (npm install in the repo first): ${e.message}`);
  }
  const { runTests, downloadAndUnzipVSCode, TestRunFailedError } = testElectron.default ?? testElectron;

  let executable = opts.executable;
  if (!executable) {
    log(`downloading VS Code ${opts.version} into ${opts.cachePath} (skipped if already there)`);
    try {
      executable = await downloadAndUnzipVSCode({ version: opts.version, cachePath: opts.cachePath, timeout: 30000 });
    } catch (e) {
      const msg = String((e && e.message) || e).split('\n')[0];
      fail(`could not download VS Code ${opts.version}: ${msg}. On a machine without access to the VS Code download servers, `
        + 'pass --vscode-executable PATH (or KINDRED_VSCODE_EXECUTABLE) or use test/e2e-runner/run-code-server.mjs');
    }
  }

  const xvfb = await ensureDisplay();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kindred-electron-'));
  const dataDir = path.join(tmp, 'data');
  fs.mkdirSync(path.join(dataDir, 'User'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'User', 'settings.json'), JSON.stringify({ ...USER_SETTINGS, 'window.restoreWindows': 'none' }, null, 2));
  let workspace = opts.workspace;
  if (!workspace) { workspace = path.join(tmp, 'workspace'); fs.mkdirSync(workspace); }

  const env = { ...opts.env };
  if (xvfb) env.DISPLAY = xvfb.display;

  let done = false;
  const cleanup = async () => {
    await killDescendants(xvfb ? [xvfb.proc.pid] : []);
    if (xvfb) { try { process.kill(-xvfb.proc.pid, 'SIGKILL'); } catch {} }
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  const exitWith = async (code, msg) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (msg) process.stderr.write(`${msg}\n`);
    await cleanup();
    process.exit(code);
  };
  const timer = setTimeout(() => exitWith(124,
    `run-electron: error: timed out after ${opts.timeout} s: the test suite did not finish; killing VS Code`), opts.timeout * 1000);
  for (const sig of ['SIGTERM', 'SIGHUP']) process.on(sig, () => exitWith(143, `run-electron: interrupted by ${sig}`));
  // SIGINT: runTests closes VS Code itself (twice for force); we clean up when it returns.

  log(`running ${opts.tests} with ${executable}`);
  let code;
  try {
    code = await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: opts.extension,
      extensionTestsPath: opts.tests,
      extensionTestsEnv: env,
      launchArgs: [
        workspace,
        '--user-data-dir', dataDir,
        '--extensions-dir', path.join(tmp, 'ext'),
        '--disable-extensions', // other installed extensions; the one under development still loads
        '--disable-telemetry',
        '--disable-gpu',
      ],
    });
  } catch (e) {
    if (e instanceof TestRunFailedError || e?.name === 'TestRunFailedError' || /Test run (failed|terminated)/.test(e?.message)) {
      return exitWith(typeof e.code === 'number' && e.code !== 0 ? e.code : 1, `run-electron: test suite failed (${e.message})`);
    }
    return exitWith(2, `run-electron: error: ${String((e && e.message) || e).split('\n')[0]}`);
  }
  return exitWith(code ?? 0, null);
}

main().catch((e) => fail((e && e.stack) || String(e)));
