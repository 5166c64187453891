// Agent-style retrieval: does the returned text contain the code that answers the question, and how
// many tokens does it cost? Compares, per question of a set (bench/agents/*.json):
//   * kindred context  — packContext(question, budget) (what `kindred context` / the MCP `context` tool return);
//   * kindred search   — Engine.search(question, k=8) rendered as the MCP `search` tool renders it (locations + snippets);
//   * grep             — the query's keywords (stop words dropped) searched case-insensitively over the same files
//                        (ripgrep if `rg` is on PATH, else `grep -n -i -F`), files ranked by distinct keywords matched
//                        then by matching lines, the matching lines of the best 8 files returned as `path:line:text`;
//   * grep @ budget    — the same lines, best file first, cut at the same token budget as kindred context.
// A hit: the returned text covers a line of the answering function (its chunks in the index: the chunk holding the
// definition line `def` of `path`, joined with that symbol's other chunks; for a class, with its members' chunks). Tokens: the embedding model's tokenizer
// for every method (WordPiece: whitespace is free, so an LLM's BPE count is higher for all of them).
//
//   node bench/agents.mjs --set bench/agents/kindred.json [--folder .] [--budget 4000] [--threads 1] [--json] [--md]
//   node bench/agents.mjs --set bench/agents/urllib3.json   (fetches the sdist from PyPI into ~/.cache/kindred/agents-eval)
//   --mcp: also ask each question through `kindred mcp` (dist/cli.js, a subprocess driven by the MCP SDK client):
//          the `search` tool's structured results, hit = the answering function among them.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { core, loadavg, log, main, parseArgs, ROOT } from './lib.mjs';

const STOP = new Set(
  'a an the and or of to in on for with by at from as is are be been was were it its this that these those what which who whom whose where when how why does do did done can could should would will shall may might must not no into onto over under than then so such each per via about after before while until like unless only also just there here their them they we you your our out up down off get gets set sets make makes use used using code function method file files'.split(
    ' ',
  ),
);

export function keywords(q) {
  const words = q.toLowerCase().split(/[^a-z0-9_\-.]+/).map((w) => w.replace(/^[-.]+|[-.]+$/g, ''));
  const out = [];
  for (let w of words) {
    if (w.length < 3 || STOP.has(w)) continue;
    if (w.length > 4 && w.endsWith('s') && !w.endsWith('ss')) w = w.slice(0, -1);
    if (!out.includes(w)) out.push(w);
  }
  return out;
}

function hasRipgrep() {
  return spawnSync('rg', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Matching lines of `files` (relative to folder) for any keyword: [{path, line, text}]. */
function grepLines(folder, files, kws, useRg) {
  if (!kws.length) return [];
  const out = [];
  const step = 200;
  for (let i = 0; i < files.length; i += step) {
    const batch = files.slice(i, i + step);
    const args = useRg
      ? ['-n', '-i', '-F', '--no-heading', '--with-filename', '--color', 'never', ...kws.flatMap((k) => ['-e', k]), '--', ...batch]
      : ['-n', '-i', '-F', '-H', ...kws.flatMap((k) => ['-e', k]), '--', ...batch];
    const r = spawnSync(useRg ? 'rg' : 'grep', args, { cwd: folder, encoding: 'utf8', maxBuffer: 256 << 20 });
    for (const l of r.stdout.split('\n')) {
      const m = /^(.*?):(\d+):(.*)$/.exec(l);
      if (m) out.push({ path: m[1], line: Number(m[2]), text: m[3] });
    }
  }
  return out;
}

function grepBaseline(folder, files, q, useRg, countTokens, budget) {
  const kws = keywords(q);
  const lines = grepLines(folder, files, kws, useRg);
  const byFile = new Map();
  for (const l of lines) {
    const f = byFile.get(l.path) ?? { path: l.path, lines: [], kws: new Set() };
    f.lines.push(l);
    const low = l.text.toLowerCase();
    for (const k of kws) if (low.includes(k)) f.kws.add(k);
    byFile.set(l.path, f);
  }
  const ranked = [...byFile.values()].sort((a, b) => b.kws.size - a.kws.size || b.lines.length - a.lines.length || a.path.localeCompare(b.path)).slice(0, 8);
  const returned = ranked.flatMap((f) => f.lines);
  const render = (ls) => ls.map((l) => `${l.path}:${l.line}:${l.text}`).join('\n');
  const text = render(returned);
  // The same lines cut at the budget, best file first.
  const capped = [];
  let used = 0;
  for (const l of returned) {
    const t = countTokens(`${l.path}:${l.line}:${l.text}`);
    if (used + t > budget) break;
    capped.push(l);
    used += t;
  }
  return { keywords: kws, files: ranked.map((f) => f.path), returned, tokens: text ? countTokens(text) : 0, capped, cappedTokens: capped.length ? countTokens(render(capped)) : 0 };
}

/** The answering function's line range: the chunks of `symbol` in `path` around the definition line. */
function targetRange(store, folder, t) {
  const text = readFileSync(path.join(folder, t.path), 'utf8').split(/\r?\n/);
  const re = new RegExp(t.def);
  let nth = t.nth ?? 1;
  let line = 0;
  for (let i = 0; i < text.length; i++) {
    if (re.test(text[i]) && --nth === 0) {
      line = i + 1;
      break;
    }
  }
  if (!line) throw new Error(`target not found: /${t.def}/ in ${t.path}`);
  const chunks = [...store.chunks.values()].filter((c) => c.path === t.path);
  const holding = chunks.filter((c) => c.startLine <= line && line <= c.endLine).sort((a, b) => a.endLine - a.startLine - (b.endLine - b.startLine))[0];
  if (!holding) return { line, start: line, end: line, symbol: null };
  let start = holding.startLine;
  let end = holding.endLine;
  if (holding.symbol) {
    // A long function is cut into statement groups that share its symbol: take the run (gaps of blank lines allowed).
    // A class target (`def` starting with "class") is answered by any of its members too.
    const cls = /^\s*(export\s+)?(abstract\s+)?class\b/.test(t.def) ? holding.symbol.split('.')[0] : undefined;
    const same = chunks
      .filter((c) => c.symbol === holding.symbol || (cls && (c.symbol === cls || c.symbol?.startsWith(`${cls}.`))))
      .sort((a, b) => a.startLine - b.startLine);
    let grew = true;
    while (grew) {
      grew = false;
      for (const c of same) {
        if (c.startLine <= end + 3 && c.endLine >= start - 3 && (c.startLine < start || c.endLine > end)) {
          start = Math.min(start, c.startLine);
          end = Math.max(end, c.endLine);
          grew = true;
        }
      }
    }
  }
  return { line, start, end, symbol: holding.symbol ?? null };
}

const covers = (p, s, e, t, r) => p === t.path && s <= r.end && r.start <= e;

function fetchPypi(spec) {
  const dir = path.join(os.homedir(), '.cache', 'kindred', 'agents-eval');
  const name = spec.replace('==', '-');
  const folder = path.join(dir, name);
  if (existsSync(folder)) return folder;
  mkdirSync(dir, { recursive: true });
  log(`fetching ${spec} (sdist) from PyPI into ${dir}`);
  execFileSync('python3', ['-m', 'pip', 'download', spec, '--no-deps', '--no-binary', ':all:', '-d', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const archive = readdirSync(dir).find((f) => f.startsWith(name) && f.endsWith('.tar.gz'));
  if (!archive) throw new Error(`pip download ${spec} left no sdist in ${dir}`);
  execFileSync('tar', ['xzf', path.join(dir, archive), '-C', dir]);
  return folder;
}

const pct = (n, d) => (d ? Math.round((1000 * n) / d) / 10 : 0);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : Math.round((s[s.length / 2 - 1] + s[s.length / 2]) / 2)) : 0;
};
const mean = (xs) => (xs.length ? Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) : 0);

main(async () => {
  const args = parseArgs();
  if (!args.set) throw new Error('usage: node bench/agents.mjs --set bench/agents/<set>.json [--folder DIR] [--budget 4000] [--json] [--md]');
  const set = JSON.parse(readFileSync(path.resolve(args.set), 'utf8'));
  const folder = path.resolve(args.folder ?? (set.source?.pypi ? fetchPypi(set.source.pypi) : ROOT));
  const budget = Number(args.budget ?? 4000);
  const { Engine } = core('core/engine');
  const { DEFAULT_EXCLUDES } = core('core/discovery');
  const { packContext, LineCache } = core('core/context');
  const indexDir = args['index-dir'] ? path.resolve(args['index-dir']) : undefined;
  // The evaluation's own files would answer their own questions: left out of both sides.
  const exclude = [...DEFAULT_EXCLUDES, 'bench/agents/', 'bench/agents.mjs', 'docs/agents.md', 'docs/agents/'];
  const engine = await Engine.open({ folder, indexDir, threads: Number(args.threads ?? 1), exclude });
  try {
    const summary = await engine.update();
    log(`index: ${summary.files} files, ${summary.chunks} chunks (${summary.embedded} embedded now) in ${summary.seconds}s`);
    const store = engine.index;
    const files = [...store.files.keys()].sort();
    const useRg = hasRipgrep();
    const count = (t) => engine.runtime.countTokens(t);
    const rows = [];
    let mcp;
    if (args.mcp) {
      const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
      const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
      mcp = new Client({ name: 'kindred-bench', version: '1.0.0' });
      await mcp.connect(
        new StdioClientTransport({ command: process.execPath, args: [path.join(ROOT, 'dist', 'cli.js'), 'mcp', folder, '--index-dir', engine.indexDir, '--no-update', '--threads', '1'], stderr: 'ignore' }),
      );
    }
    for (const t of set.questions) {
      const r = targetRange(store, folder, t);
      const packed = await packContext(engine, t.q, { budget });
      const ctxHit = packed.blocks.some((b) => covers(b.path, b.startLine, b.endLine, t, r));
      const hits = await engine.search(t.q, { k: 8 });
      const cache = new LineCache(folder);
      const searchText = (
        await Promise.all(hits.map(async (h, i) => `${i + 1}. ${h.path}:${h.startLine}-${h.endLine}${h.symbol ? ` ${h.symbol}` : ''} (score ${h.score})\n${await cache.snippet(h, 4, 320)}`))
      ).join('\n');
      const searchRank = hits.findIndex((h) => covers(h.path, h.startLine, h.endLine, t, r));
      const g = grepBaseline(folder, files, t.q, useRg, count, budget);
      const grepHit = g.returned.some((l) => covers(l.path, l.line, l.line, t, r));
      const grepCappedHit = g.capped.some((l) => covers(l.path, l.line, l.line, t, r));
      let viaMcp;
      if (mcp) {
        const res = await mcp.callTool({ name: 'search', arguments: { query: t.q, k: 8 } });
        const list = res.structuredContent?.results ?? [];
        const at = list.findIndex((h) => covers(h.path, h.startLine, h.endLine, t, r));
        viaMcp = { hit: at >= 0, rank: at >= 0 ? at + 1 : null, tokens: count(res.content?.[0]?.text ?? '') };
      }
      rows.push({
        q: t.q,
        ...(viaMcp ? { mcpSearch: viaMcp } : {}),
        target: `${t.path}:${r.start}-${r.end}${r.symbol ? ` (${r.symbol})` : ''}`,
        context: { hit: ctxHit, fileHit: packed.blocks.some((b) => b.path === t.path), tokens: packed.tokens, blocks: packed.blocks.length },
        search: { hit: searchRank >= 0, rank: searchRank >= 0 ? searchRank + 1 : null, tokens: count(searchText) },
        grep: { hit: grepHit, fileHit: g.files.includes(t.path), tokens: g.tokens, lines: g.returned.length, keywords: g.keywords },
        grepAtBudget: { hit: grepCappedHit, tokens: g.cappedTokens },
      });
      log(`${ctxHit ? 'HIT ' : 'miss'} ctx | ${searchRank >= 0 ? `@${searchRank + 1}` : 'miss'} search | ${grepHit ? 'HIT ' : 'miss'} grep  ${t.q}`);
    }
    const n = rows.length;
    const agg = (key) => ({
      hitRate: pct(rows.filter((x) => x[key].hit).length, n),
      hits: rows.filter((x) => x[key].hit).length,
      ...(rows[0][key].fileHit !== undefined ? { fileHitRate: pct(rows.filter((x) => x[key].fileHit).length, n) } : {}),
      tokensMedian: median(rows.map((x) => x[key].tokens)),
      tokensMean: mean(rows.map((x) => x[key].tokens)),
      tokensMax: Math.max(...rows.map((x) => x[key].tokens)),
    });
    const result = {
      repo: set.repo,
      folder,
      questions: n,
      budget,
      grepTool: useRg ? 'rg' : 'grep',
      index: { files: store.files.size, chunks: store.chunks.size },
      model: store.model.id,
      loadavg: loadavg(),
      kindredContext: agg('context'),
      kindredSearch: agg('search'),
      grep: agg('grep'),
      grepAtBudget: agg('grepAtBudget'),
      ...(mcp ? { mcpSearch: agg('mcpSearch') } : {}),
      rows,
    };
    if (args.md) {
      const line = (name, a) => `| ${name} | ${a.hits}/${n} (${a.hitRate}%) | ${a.fileHitRate ?? '–'}${a.fileHitRate === undefined ? '' : '%'} | ${a.tokensMedian} | ${a.tokensMean} | ${a.tokensMax} |`;
      process.stdout.write(
        [
          `${set.repo}: ${n} questions, ${store.files.size} files / ${store.chunks.size} chunks, budget ${budget}, baseline tool ${result.grepTool}`,
          '',
          '| method | answer hit | file hit | tokens median | mean | max |',
          '| --- | --- | --- | --- | --- | --- |',
          line('kindred context', result.kindredContext),
          line('kindred search (k=8)', result.kindredSearch),
          line('grep keywords, best 8 files', result.grep),
          line(`grep, cut at ${budget} tokens`, result.grepAtBudget),
          ...(result.mcpSearch ? [line('`kindred mcp` search tool (k=8)', result.mcpSearch)] : []),
          '',
        ].join('\n'),
      );
    }
    if (args.json || !args.md) process.stdout.write(`${JSON.stringify(result, null, args.json ? 0 : 2)}\n`);
    await mcp?.close();
  } finally {
    await engine.close();
  }
});
