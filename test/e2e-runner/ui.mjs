// Helpers for UI tests and screenshots: a real VS Code workbench (code-server) in headless chromium.
//
//   import { startCodeServer } from './test/e2e-runner/ui.mjs';
//   const vs = await startCodeServer({ workspace: '/abs/folder', vsix: '/abs/kindred-0.1.0.vsix' });
//   try {
//     await vs.runCommand('Kindred: Search');          // F1, type, Enter
//     await vs.waitForText('Hello');                   // or vs.page.waitForSelector(css)
//     await vs.screenshot('/abs/out/search.png');
//   } finally {
//     await vs.close();                                // kills code-server's process group and chromium
//   }
//
// Options of startCodeServer:
//   workspace                 folder to open (required)
//   vsix                      path or paths of .vsix files to install first (code-server --install-extension)
//   extensionDevelopmentPath  load an unpacked extension folder instead/as well (development mode)
//   env                       env vars for code-server and so for the extension host
//   settings                  extra user settings (merged over the harness defaults)
//   viewport                  {width, height}, default 1400x900
//   verbose                   echo code-server output and workbench console to stderr
//   log                       (msg) => void for progress (default: stderr), or false for quiet
// Returned object: { url, page, browser, context, server, runCommand(title, opts), quickOpen(text),
//   waitFor(selector, opts), waitForText(text, opts), notifications(), screenshot(path, opts), close() }
// Env: KINDRED_CODE_SERVER (skip setup), KINDRED_CHROMIUM, KINDRED_CACHE_DIR.

import fs from 'node:fs';
import path from 'node:path';
import {
  HarnessError, makeLog, resolveCodeServer, startCodeServer as startServer, launchBrowser, workbenchUrl, remoteUri,
} from './lib.mjs';

export { HarnessError };

const SEL = {
  workbench: '.monaco-workbench',
  statusbar: '.monaco-workbench .part.statusbar',
  quickInput: '.quick-input-widget',
  quickInputBox: '.quick-input-widget .quick-input-box input',
  quickInputRows: '.quick-input-widget .quick-input-list .monaco-list-row',
  toast: '.notifications-toasts .notification-toast',
  toastMessage: '.notifications-toasts .notification-list-item-message',
};
export const SELECTORS = SEL;

/**
 * @param {{workspace: string, vsix?: string|string[], extensionDevelopmentPath?: string, env?: Record<string,string>,
 *          settings?: object, viewport?: {width:number,height:number}, verbose?: boolean, log?: false|((m:string)=>void),
 *          readyTimeoutMs?: number}} opts
 */
export async function startCodeServer(opts) {
  if (!opts || !opts.workspace) throw new HarnessError('startCodeServer: workspace is required');
  const log = opts.log === false ? () => {} : (opts.log || makeLog('ui'));
  const workspace = path.resolve(opts.workspace);
  if (!fs.existsSync(workspace)) throw new HarnessError(`workspace ${workspace} does not exist`);
  const vsix = [].concat(opts.vsix || []).map((v) => path.resolve(v));
  for (const v of vsix) if (!fs.existsSync(v)) throw new HarnessError(`vsix ${v} does not exist`);

  const codeServer = await resolveCodeServer(log);
  const devPath = opts.extensionDevelopmentPath ? path.resolve(opts.extensionDevelopmentPath) : null;
  const server = await startServer({
    codeServer, log, vsix, env: opts.env, settings: opts.settings, verbose: opts.verbose,
    smokeTestDriver: Boolean(devPath), // the payload (development extension) needs the smoke-test driver
  });
  let b;
  try {
    b = await launchBrowser({ log, viewport: opts.viewport });
  } catch (e) {
    await server.stop();
    throw e;
  }
  const { page, browser, context } = b;
  if (opts.verbose) {
    page.on('console', (m) => process.stderr.write(`[console.${m.type()}] ${m.text()}\n`));
    page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.message}\n`));
  }

  let closed = false;
  async function close() {
    if (closed) return;
    closed = true;
    await b.close();
    await server.stop();
  }

  const payload = devPath ? [['extensionDevelopmentPath', remoteUri(server.host, devPath)], ['skipWelcome', 'true']] : null;
  const url = workbenchUrl(server.url, { folder: workspace, payload });
  const readyTimeout = opts.readyTimeoutMs ?? 60000;
  try {
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: readyTimeout });
    await page.waitForSelector(SEL.statusbar, { timeout: readyTimeout });
    // the explorer shows the folder once the remote connection and the workspace are up
    await page.waitForSelector('.monaco-workbench .explorer-folders-view, .monaco-workbench .part.sidebar', { timeout: readyTimeout });
    log(`workbench ready at ${url.split('?')[0]}`);
  } catch (e) {
    await close();
    throw new HarnessError(`workbench did not load: ${e.message.split('\n')[0]}`);
  }

  async function focusWorkbench() {
    // keyboard shortcuts need focus inside the workbench (not on the page body)
    await page.bringToFront();
    const editor = await page.$('.monaco-workbench .part.editor');
    if (editor) await editor.click({ position: { x: 200, y: 200 } }).catch(() => {});
  }

  /**
   * Opens the command palette with F1, types the title, waits for a matching entry and presses Enter.
   * Retries (reopening the palette) until `timeout`: commands of an extension appear only once the
   * extension host has scanned it.
   */
  async function runCommand(title, { timeout = 30000, exact = false } = {}) {
    const want = title.toLowerCase();
    const end = Date.now() + timeout;
    let rows = [];
    for (;;) {
      await focusWorkbench();
      await page.keyboard.press('F1');
      const box = await page.waitForSelector(SEL.quickInputBox, { state: 'visible', timeout: Math.max(1000, end - Date.now()) });
      await box.fill(`>${title}`);
      const found = await page.waitForFunction(({ rowsSel, want, exact }) => {
        const rows = [...document.querySelectorAll(rowsSel)];
        if (!rows.length) return false;
        const label = (rows[0].getAttribute('aria-label') || rows[0].textContent || '').toLowerCase();
        return exact ? label.startsWith(want) : label.includes(want);
      }, { rowsSel: SEL.quickInputRows, want, exact }, { timeout: 2000 }).then(() => true, () => false);
      if (found) break;
      rows = await page.$$eval(SEL.quickInputRows, (els) => els.slice(0, 5).map((e) => e.getAttribute('aria-label') || e.textContent)).catch(() => []);
      await page.keyboard.press('Escape');
      if (Date.now() > end) {
        throw new HarnessError(`command "${title}" not found in the palette within ${timeout / 1000} s (first entries: ${JSON.stringify(rows)})`);
      }
      await page.waitForTimeout(500);
    }
    await page.keyboard.press('Enter');
    await page.waitForSelector(SEL.quickInput, { state: 'hidden', timeout: 5000 }).catch(() => {});
  }

  /** Quick open (Ctrl+P) a file by name and press Enter. */
  async function quickOpen(text, { timeout = 15000 } = {}) {
    await focusWorkbench();
    await page.keyboard.press('Control+P');
    const box = await page.waitForSelector(SEL.quickInputBox, { state: 'visible', timeout });
    await box.fill(text);
    await page.waitForSelector(SEL.quickInputRows, { timeout });
    await page.keyboard.press('Enter');
    await page.waitForSelector(SEL.quickInput, { state: 'hidden', timeout }).catch(() => {});
  }

  const waitFor = (selector, o = {}) => page.waitForSelector(selector, { timeout: 15000, ...o });
  /** Waits until the text is visible anywhere in the workbench (not inside webview iframes). */
  const waitForText = (text, o = {}) => page.getByText(text, { exact: false }).first().waitFor({ state: 'visible', timeout: 15000, ...o });
  /** Texts of the notification toasts currently shown. */
  const notifications = () => page.$$eval(SEL.toastMessage, (els) => els.map((e) => e.textContent.trim()));

  /** PNG of the page (the whole workbench) or of one element: screenshot(path, {selector}). */
  async function screenshot(file, { selector, fullPage = false, animations = 'disabled' } = {}) {
    const out = path.resolve(file);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    // animations 'disabled': fade-ins (notification toasts) are finished, not caught half-transparent
    if (selector) await (await waitFor(selector)).screenshot({ path: out, animations });
    else await page.screenshot({ path: out, fullPage, animations });
    log(`screenshot ${out}`);
    return out;
  }

  return {
    url, page, browser, context, server,
    runCommand, quickOpen, waitFor, waitForText, notifications, screenshot, close,
  };
}
