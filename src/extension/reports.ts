/**
 * The reports the extension shows as Markdown documents (src/extension/reportView.ts): Show Index
 * Status, Evaluate Search Quality and Adapt Search to This Workspace. Plain functions of the engine's answers, without `vscode`, so the
 * unit tests check what a user reads.
 */
import type { WorkspaceReport } from '../core/eval/workspace';
import { MAX_COSQA_DROP, MIN_HELD_OUT_GAIN } from '../shared/adaptGate';
import type { AdaptOutcome, AdapterState, EngineStatus, IndexDetails } from '../shared/engineProtocol';
import { formatBytes, formatCount, formatDuration } from '../shared/eta';

/** `3 min ago`, `just now`, `2 h ago`, from two times in ms. */
export function ago(thenMs: number, nowMs: number): string {
  const s = Math.max(0, Math.round((nowMs - thenMs) / 1000));
  if (s < 10) return 'just now';
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

/** The state in a few words, the way the status bar says it. */
export function stateWords(s: EngineStatus): string {
  switch (s.state) {
    case 'starting':
      return 'starting (loading the model and opening the index)';
    case 'indexing':
      return s.progress ? `indexing: ${progressWords(s.progress)}` : 'indexing';
    case 'paused':
      return 'paused (changes are picked up when indexing resumes)';
    case 'error':
      return 'error';
    case 'readonly':
      return 'read-only (another window or process is updating this index)';
    case 'idle':
      return s.error ? 'up to date, with a problem (below)' : 'up to date';
  }
}

/** `embedding 1,240/1,762 · 96 chunks/s · 0:40 left`, `scanning`, `chunking 12/210`. */
export function progressWords(p: NonNullable<EngineStatus['progress']>): string {
  const counts = p.total > 0 ? ` ${formatCount(p.done)}/${formatCount(p.total)}` : '';
  const rate = p.phase === 'embedding' && p.perSecond !== undefined && p.total > 0 ? ` · ${formatCount(p.perSecond)} chunks/s` : '';
  const eta = p.etaSeconds !== undefined && p.total > 0 ? ` · ${formatDuration(p.etaSeconds)} left` : '';
  return `${p.phase}${counts}${rate}${eta}`;
}

function modelLine(s: EngineStatus): string {
  const precision = s.dtype === 'fp32' ? 'full precision (fp32)' : s.dtype === 'q8' ? 'int8 (q8)' : 'unknown precision';
  return `${s.model || '(none)'}, ${precision}${s.dims ? `, ${s.dims} dimensions` : ''}${s.modelLoaded === false ? ' — **not loaded: keyword search only**' : ''}`;
}

/**
 * One-line summary of an engine status, for the status bar and the panel: always starts with "Kindred",
 * e.g. `Kindred: embedding 1,240/1,762 · 0:40 left`. Counts of embedded chunks are left out while the
 * model is not loaded (they would belong to no model in use).
 */
export function describeStatus(s: EngineStatus): { icon: string; text: string; tooltip: string } {
  const files = s.folders.reduce((n, f) => n + f.files, 0);
  const chunks = s.folders.reduce((n, f) => n + f.chunks, 0);
  const embedded = s.folders.reduce((n, f) => n + f.embedded, 0);
  const bytes = s.folders.reduce((n, f) => n + f.bytesOnDisk, 0);
  const loaded = s.modelLoaded !== false;
  // No model (missing or broken): the engine works on, searching by keywords only.
  const degraded = s.state !== 'error' && s.error?.code?.startsWith('model-') ? `${s.error.message}\n` : '';
  const counts = loaded ? `${formatCount(embedded)}/${formatCount(chunks)} chunks embedded` : `${formatCount(chunks)} chunks (keyword index only)`;
  const adapters = s.folders.filter((f) => f.adapter).map((f) => `\nSearch adapter${s.folders.length > 1 ? ` (${f.name})` : ''}: ${adapterWords(f.adapter!)}`).join('');
  const detail = `${degraded}${formatCount(files)} files, ${counts}, ${formatBytes(bytes)} on disk\nModel: ${s.model}${s.dtype ? ` (${s.dtype})` : ''}${loaded ? '' : ' — not loaded'}${adapters}\nClick for the full index status.`;
  switch (s.state) {
    case 'starting':
      return { icon: '$(loading~spin)', text: 'Kindred: starting', tooltip: 'Loading the embedding model and opening the index' };
    case 'indexing': {
      const p = s.progress;
      return { icon: '$(sync~spin)', text: `Kindred: ${p ? progressWords(p) : 'indexing'}`, tooltip: `${p ? `Indexing ${p.folder}: ${progressWords(p)}\n` : ''}${detail}` };
    }
    case 'paused':
      return { icon: '$(debug-pause)', text: 'Kindred: paused', tooltip: `Indexing paused.\n${detail}` };
    case 'error':
      return { icon: '$(error)', text: 'Kindred: error', tooltip: `${s.error?.message ?? 'error'} ${s.error?.fix ?? ''}` };
    case 'readonly':
      return { icon: '$(lock)', text: 'Kindred: read-only', tooltip: `${s.error?.message ?? ''}\n${detail}` };
    default:
      if (!loaded || degraded) return { icon: '$(warning)', text: `Kindred: ${formatCount(files)} files, keyword only`, tooltip: detail };
      // Updates failing (retried with backoff) or the watcher down: the index works but may be behind.
      if (s.error) return { icon: '$(warning)', text: `Kindred: ${formatCount(files)} files, not up to date`, tooltip: `${s.error.message} ${s.error.fix ?? ''}\n${detail}` };
      return { icon: '$(search)', text: `Kindred: ${formatCount(files)} files`, tooltip: `Indexed.\n${detail}` };
  }
}

/** `on (held-out MRR 0.512 → 0.560)`, `off: turned off by you`, `off: held-out MRR gain 0.004 is below +0.02`. */
export function adapterWords(a: AdapterState): string {
  const gain = a.heldOut ? ` (held-out MRR ${a.heldOut.before.MRR.toFixed(3)} → ${a.heldOut.after.MRR.toFixed(3)})` : '';
  return a.active ? `on${gain}` : `off${a.reason ? `: ${a.reason}` : ''}`;
}

/** One line for Show Index Status: on/off and why, gain, when trained, files changed since. */
export function adapterLine(a: AdapterState, nowMs: number): string {
  const when = Number.isFinite(Date.parse(a.createdAt)) ? `, trained ${ago(Date.parse(a.createdAt), nowMs)}` : '';
  const drift =
    a.changedFiles !== undefined && a.trainedFiles !== undefined
      ? `; ${formatCount(a.changedFiles)} of its ${formatCount(a.trainedFiles)} files changed since${a.retrainSuggested ? ' — **adapting again is worth it**' : ''}`
      : '';
  return `${a.active ? '**on**' : '**off**'}${a.heldOut ? ` — held-out MRR ${a.heldOut.before.MRR.toFixed(3)} → ${a.heldOut.after.MRR.toFixed(3)}` : ''}${when}${drift}${!a.active && a.reason ? `. Off because ${a.reason}.` : '.'}`;
}

/** What Reindex says when it ends: `Kindred: reindexed express in 31 s: 210 files, 1,762 chunks.` */
export function reindexMessage(s: EngineStatus, seconds: number): string {
  const files = s.folders.reduce((n, f) => n + f.files, 0);
  const chunks = s.folders.reduce((n, f) => n + f.chunks, 0);
  const names = s.folders.map((f) => f.name).join(', ') || 'the workspace';
  if (s.state === 'error' || (s.error && s.state !== 'idle')) return `Kindred: reindexing ${names} did not finish: ${s.error?.message ?? s.state}`;
  if (s.state === 'paused') return `Kindred: reindexing ${names} paused; ${formatCount(files)} files, ${formatCount(chunks)} chunks so far.`;
  const keywordOnly = s.modelLoaded === false ? ' (keyword index only: the model is not loaded)' : '';
  return `Kindred: reindexed ${names} in ${Math.round(seconds)} s: ${formatCount(files)} files, ${formatCount(chunks)} chunks${keywordOnly}.`;
}

const cell = (t: string): string => t.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * Show Index Status as Markdown: the state, the model, one table row per folder (files, chunks, embedded
 * share, size on disk, last update), the indexes on disk, the last update, problems and recent warnings.
 * Embedded counts are not shown for a model that is not loaded (they would belong to no model in use).
 */
export function statusReport(d: IndexDetails, nowMs: number): string {
  const s = d.status;
  const out: string[] = ['# Kindred: index status', ''];
  out.push(`- **State:** ${stateWords(s)}`);
  out.push(`- **Model:** ${modelLine(s)}`);
  const files = d.folders.reduce((n, f) => n + f.files, 0);
  const chunks = d.folders.reduce((n, f) => n + f.chunks, 0);
  const embedded = d.folders.reduce((n, f) => n + f.embedded, 0);
  const bytes = d.folders.reduce((n, f) => n + f.bytesOnDisk, 0);
  const loaded = s.modelLoaded !== false;
  out.push(
    `- **Index:** ${formatCount(files)} files, ${formatCount(chunks)} chunks` +
      (loaded ? `, ${embeddedShare(embedded, chunks)} embedded` : ' (keyword index only)') +
      `, ${formatBytes(bytes)} on disk`,
  );
  if (s.pendingFiles) out.push(`- **Waiting:** ${formatCount(s.pendingFiles)} changed file${s.pendingFiles === 1 ? '' : 's'} not yet updated`);
  if (s.lastUpdate) {
    const u = s.lastUpdate;
    const when = u.at !== undefined ? `${ago(u.at, nowMs)}` : 'this session';
    const rate = u.embedded > 0 && u.seconds > 0 ? ` (${(u.embedded / u.seconds).toFixed(1)} chunks/s)` : '';
    out.push(
      `- **Last update:** ${when}${u.folder ? ` (${u.folder})` : ''}, ${u.seconds.toFixed(1)} s: ${formatCount(u.embedded)} chunks embedded${rate}, ` +
        `${formatCount(u.deleted)} files removed, ${formatCount(u.skipped)} skipped`,
    );
  }
  if (s.error) out.push('', '## Problem', '', `${s.error.message}${s.error.fix ? `\n\n**What to do:** ${s.error.fix}` : ''}`);

  out.push('', '## Folders', '');
  if (d.folders.length === 0) out.push('No folder is indexed (open a folder or a workspace).');
  else {
    out.push(`| Folder | Files | Chunks | ${loaded ? 'Embedded | ' : ''}On disk | Last update |`, `|---|---:|---:|${loaded ? '---:|' : ''}---:|---|`);
    for (const f of d.folders) {
      out.push(
        `| ${cell(f.name)} | ${formatCount(f.files)} | ${formatCount(f.chunks)} | ${loaded ? `${embeddedShare(f.embedded, f.chunks)} | ` : ''}${formatBytes(f.bytesOnDisk)} | ${f.lastUpdatedAt !== undefined ? ago(f.lastUpdatedAt, nowMs) : '—'} |`,
      );
    }
  }

  const adapted = d.folders.filter((f) => f.adapter);
  if (adapted.length) {
    out.push('', '## Search adapter', '', 'A map learned from this code and applied to search queries only (Kindred: Adapt Search to This Workspace).', '');
    for (const f of adapted) out.push(`- ${d.folders.length > 1 ? `**${f.name}:** ` : ''}${adapterLine(f.adapter!, nowMs)}`);
  }

  out.push('', '## Indexes on disk', '', 'One index per folder, model and precision; switching model keeps the others.', '');
  for (const f of d.folders) {
    out.push(`**${f.name}** — \`${f.indexDir}\``, '');
    if (f.indexes.length === 0) out.push('- none yet');
    for (const i of f.indexes) {
      const what = i.model ? `${i.model.id} (${i.model.dtype}, ${i.model.dims} dims)` : `old format ${i.format}`;
      out.push(`- \`${i.name}\`: ${what}, ${formatBytes(i.bytes)}${i.dir === f.storeDir ? ' — **in use**' : ''}`);
    }
    out.push('');
  }
  if (d.recentWarnings.length) {
    out.push('## Recent warnings', '', ...d.recentWarnings.slice(-5).map((w) => `- ${cell(w)}`), '');
  }
  out.push(
    '---',
    '',
    'Commands: *Kindred: Reindex Workspace*, *Kindred: Pause Indexing*, *Kindred: Select Embedding Model*, *Kindred: Adapt Search to This Workspace*. The log: *Output → Kindred*.',
  );
  return `${out.join('\n')}\n`;
}

function embeddedShare(embedded: number, chunks: number): string {
  if (chunks === 0) return '0';
  return `${formatCount(embedded)} (${Math.floor((100 * embedded) / chunks)}%)`;
}

/** What each number of the evaluation means, in one line. */
const METRIC_MEANING: Record<string, string> = {
  mrr: 'MRR — 1 when the right function is always first, 0.5 when it is second on average.',
  'recall@1': 'Found first — share of queries whose function is the first result.',
  'recall@10': 'In the top 10 — share of queries whose function is among the first ten results.',
};

const MODE_WORDS: Record<string, string> = {
  bm25: 'Keywords only (BM25)',
  vector: 'Meaning only (embeddings)',
  hybrid: 'Keywords + meaning',
  'hybrid+stack': 'What search uses (keywords + meaning + ranking rules)',
};

/** Evaluate Search Quality as Markdown: one row per mode, what each number means, and how it was measured. */
export function evalReport(r: WorkspaceReport, name: string): string {
  const pct = (x: number | undefined): string => (x === undefined ? '—' : `${Math.round(x * 100)}%`);
  const out = [
    `# Kindred: search quality on ${name}`,
    '',
    `Each of the **${formatCount(r.pairs)} documented functions** in ${name} was searched for with its doc comment's summary (the comment itself removed from the index's text), ` +
      `and the result is where that function came in the results. Model: ${r.model} (${r.dtype})${r.adapter ? ', with the query adapter' : ''}.`,
    '',
    '| Search | MRR | Found first | In the top 10 |',
    '|---|---:|---:|---:|',
  ];
  for (const mode of ['hybrid+stack', 'hybrid', 'vector', 'bm25']) {
    const m = r.modes[mode as keyof typeof r.modes];
    if (!m) continue;
    out.push(`| ${MODE_WORDS[mode] ?? mode} | ${m.mrr.toFixed(2)} | ${pct(m['recall@1'])} | ${pct(m['recall@10'])} |`);
  }
  out.push('', ...Object.values(METRIC_MEANING).map((l) => `- ${l}`), '');
  const ruled = r.modes['hybrid+stack']?.mrr;
  const fused = r.modes.hybrid?.mrr;
  if (ruled !== undefined && fused !== undefined && fused - ruled >= 0.01) {
    out.push(
      'The ranking rules score lower than keywords + meaning here: they put a file with several matching chunks first and spread the ten results over files. ' +
        'That is what questions about how code works need (on labelled questions over 31 real repositories they gain 0.11 to 0.17 NDCG@10), ' +
        'and what a summary of one function does not.',
      '',
    );
  }
  out.push('## How it was measured', '');
  const langs = Object.entries(r.pairsByLanguage)
    .sort((a, b) => b[1] - a[1])
    .map(([ext, n]) => `${ext} ${n}`)
    .join(', ');
  out.push(`- ${formatCount(r.pairs)} queries (${langs}) over ${formatCount(r.corpus)} chunks of ${formatCount(r.files)} files.`);
  if (r.fromIndex) {
    const f = r.fromIndex;
    out.push(
      `- The index's own chunks and vectors: ${formatCount(f.reusedVectors)} vectors reused, ${formatCount(f.embeddedPassages)} chunks embedded again (those that held a doc comment, without it)` +
        `${r.embedSeconds !== null ? ` in ${r.embedSeconds.toFixed(1)} s` : ''}, and the ${formatCount(r.pairs)} queries.`,
    );
    if (f.skippedFiles) out.push(`- ${formatCount(f.skippedFiles)} files changed since they were indexed and were left out.`);
  }
  out.push('- Doc comments are written by the code\'s authors, not by people searching: read the numbers to compare models and settings on this code, not as a promise.');
  return `${out.join('\n')}\n`;
}

/** Eighths of a block, for bars finer than one character. */
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A bar of `width` characters for a value in 0..1: `█████▍` (eighth-block steps), padded with spaces. */
export function bar(value: number, width = 30): string {
  const v = Math.max(0, Math.min(1, Number.isFinite(value) ? value : 0));
  const eighths = Math.round(v * width * 8);
  const text = '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
  return text + ' '.repeat(width - [...text].length);
}

const KIND_WORDS: Record<string, string> = { doc: 'doc comments', heading: 'Markdown headings', test: 'test names', symbol: 'names split into words' };

const signed = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}`;

/**
 * Adapt Search to This Workspace as Markdown: switched on or kept off and why, MRR and R@10 before and after
 * on held-out pairs and on CoSQA with bars, the gate, how it was trained (pairs by kind, the split by file,
 * epochs, seconds), and how to undo it. A run declined for too few pairs says so and what would help.
 */
export function adaptReport(o: AdaptOutcome): string {
  const out: string[] = [`# Kindred: adapting search to ${o.name}`, ''];
  const r = o.report;
  if (!r) {
    out.push('**Not adapted.** ' + (o.declined?.message ?? 'The run did not finish.'), '');
    if (o.declined?.fix) out.push(o.declined.fix, '');
    out.push(`Nothing was trained or written; search in ${o.name} is as it was${o.adapter ? ` (its earlier adapter is ${o.adapter.active ? 'on' : 'off'})` : ' (no adapter)'}.`);
    return `${out.join('\n')}\n`;
  }
  const gain = r.after.MRR - r.before.MRR;
  if (r.enabled) out.push(`**Switched on.** Searches in ${o.name} now go through the adapter (held-out MRR ${signed(gain)}). *Kindred: Turn Off Search Adapter* undoes it at once.`);
  else out.push(`**Kept off:** ${r.reason ?? 'it was not measured better'}. Search in ${o.name} is unchanged; the adapter is kept on disk for the record.`);
  out.push('', '## Before and after', '', '| Queries | MRR before | MRR after | In the top 10 before | In the top 10 after |', '|---|---:|---:|---:|---:|');
  const pct = (x: number): string => `${Math.round(x * 100)}%`;
  out.push(`| Held-out pairs (${formatCount(r.heldOut)}, files not trained on) | ${r.before.MRR.toFixed(3)} | ${r.after.MRR.toFixed(3)} | ${pct(r.before['R@10'])} | ${pct(r.after['R@10'])} |`);
  if (r.cosqa) out.push(`| CoSQA test (${formatCount(r.cosqa.queries)} general queries) | ${r.cosqa.before.MRR.toFixed(3)} | ${r.cosqa.after.MRR.toFixed(3)} | ${pct(r.cosqa.before['R@10'])} | ${pct(r.cosqa.after['R@10'])} |`);
  out.push('', '```text');
  const rows: [string, number][] = [
    ['held-out MRR  before', r.before.MRR],
    ['              after ', r.after.MRR],
    ...(r.cosqa
      ? ([
          ['CoSQA MRR     before', r.cosqa.before.MRR],
          ['              after ', r.cosqa.after.MRR],
        ] as [string, number][])
      : []),
  ];
  for (const [label, v] of rows) out.push(`${label} ${bar(v)} ${v.toFixed(3)}`);
  out.push('```', '');
  out.push('MRR is 1 when the right code always comes first and 0.5 when it comes second on average.', '');

  out.push('## When it is switched on', '');
  const ok = (b: boolean): string => (b ? '✓' : '✗');
  out.push(`- ${ok(gain >= MIN_HELD_OUT_GAIN)} Held-out MRR gain ${signed(gain)} (at least +${MIN_HELD_OUT_GAIN} needed).`);
  if (r.cosqa) {
    const drop = r.cosqa.before.MRR - r.cosqa.after.MRR;
    out.push(`- ${ok(drop <= MAX_COSQA_DROP)} General queries (CoSQA) MRR ${signed(-drop)} (a drop of at most ${MAX_COSQA_DROP} allowed).`);
  } else {
    out.push(`- ✗ General queries (CoSQA) not checked${o.cosqaDir ? ` (could not read ${o.cosqaDir})` : ': set *kindred.adaptCheckFolder* to a CoSQA folder'}; without that check the adapter stays off.`);
  }
  if (r.bestEpoch === 0) out.push('- ✗ No training epoch beat the unadapted model on the validation pairs.');

  out.push('', '## How it was trained', '');
  const kinds = Object.entries(r.kinds)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${formatCount(n)} ${KIND_WORDS[k] ?? k}`)
    .join(', ');
  out.push(`- **${formatCount(r.pairs)} pairs** mined from ${o.name}${kinds ? ` (${kinds})` : ''}, split by file: **${formatCount(r.train)} to train**, ${formatCount(r.validation)} to stop early, **${formatCount(r.heldOut)} held out** (files never seen in training), ranked among ${formatCount(r.gallery)} passages.`);
  const byKind = Object.entries(r.heldOutByKind);
  if (byKind.length > 1) {
    out.push('', '| Held-out kind | Pairs | MRR before | MRR after |', '|---|---:|---:|---:|');
    for (const [k, v] of byKind) if (v) out.push(`| ${KIND_WORDS[k] ?? k} | ${formatCount(v.n)} | ${v.before.MRR.toFixed(3)} | ${v.after.MRR.toFixed(3)} |`);
    out.push('');
  }
  out.push(`- ${r.epochs} epoch${r.epochs === 1 ? '' : 's'}, weights of epoch ${r.bestEpoch} kept (validation MRR ${r.validationMRR.toFixed(3)}); seed ${r.seed}; ${r.model} (${r.dtype}).`);
  out.push(`- ${r.seconds.toFixed(1)} s in all, ${r.trainSeconds.toFixed(1)} s of it training. Only query vectors go through the adapter: nothing was embedded again.`);
  if (r.file) out.push(`- Stored in \`${r.file}\`.`);
  out.push(
    '',
    '---',
    '',
    'Mined pairs are written by the code\'s authors, not by people searching: if searches read worse, turn it off.',
    '',
    r.enabled ? '*Kindred: Turn Off Search Adapter* switches it off (instant; the file is kept). *Show Index Status* says whether it is on.' : '*Show Index Status* says whether an adapter is on.',
  );
  return `${out.join('\n')}\n`;
}
