// The real source corpus the benchmark indexes: a copy (so nothing in the repository is touched and
// node_modules' default exclusion does not apply) of this repository's src/, test/ and scripts/ plus
// TypeScript's own declaration files (node_modules/typescript/lib/*.d.ts: real, heavily commented code).
// --quick uses src/ and two of the declaration files.
import { cpSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT, require } from './lib.mjs';

const QUICK_DTS = ['lib.es2015.promise.d.ts', 'lib.es2015.collection.d.ts', 'lib.es2015.iterable.d.ts'];

export function describeCorpus(quick) {
  return quick
    ? `repo src/ + node_modules/typescript/lib/{${QUICK_DTS.join(',')}}`
    : 'repo src/ test/ scripts/ + node_modules/typescript/lib/*.d.ts (TypeScript ' + require('typescript/package.json').version + ')';
}

/** Copies the corpus into `dest`; returns its file count and bytes (before the indexer's own filters). */
export function prepareRealCorpus(dest, { quick = false, settings } = {}) {
  mkdirSync(dest, { recursive: true });
  const dirs = quick ? ['src'] : ['src', 'test', 'scripts'];
  for (const d of dirs) cpSync(path.join(ROOT, d), path.join(dest, d), { recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`) });
  const tsLib = path.dirname(require.resolve('typescript/lib/typescript.d.ts'));
  const dts = readdirSync(tsLib).filter((f) => f.endsWith('.d.ts') && (!quick || QUICK_DTS.includes(f)));
  mkdirSync(path.join(dest, 'typescript-lib'), { recursive: true });
  for (const f of dts) cpSync(path.join(tsLib, f), path.join(dest, 'typescript-lib', f));
  if (settings) {
    mkdirSync(path.join(dest, '.vscode'), { recursive: true });
    writeFileSync(path.join(dest, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
  }
  let files = 0;
  let bytes = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        files++;
        bytes += statSync(p).size;
      }
    }
  };
  walk(dest);
  return { files, bytes };
}
