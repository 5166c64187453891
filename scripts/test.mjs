#!/usr/bin/env node
// `npm test` (after setup): the linter, unit tests on the core with node's test runner, then the end-to-end suites.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stages = [
  ['lint (eslint + typescript-eslint)', process.execPath, [path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js'), 'src', 'test']],
  ['unit', process.execPath, ['--test', '--test-concurrency=2', 'out/test/unit/']],
  ['panel page (the webview script in chromium)', process.execPath, ['--test', 'test/ui/panel-page.test.mjs']],
  ['e2e (extension host in code-server)', process.execPath, ['scripts/e2e.mjs']],
  ['ui (packaged VSIX driven through the command palette)', process.execPath, ['test/ui/ui.test.mjs']],
];

let failed = 0;
for (const [name, cmd, args] of stages) {
  process.stderr.write(`\n[test] ${name}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stderr.write(`[test] ${name} FAILED (exit ${r.status ?? r.signal})\n`);
  }
}
process.exit(failed ? 1 : 0);
