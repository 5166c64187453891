import type { HitAction, PanelAnswerState, PanelHit, PanelLocation } from '../shared/webviewProtocol';
import { h } from './dom';
import { highlightPieces } from './highlight';
import { send } from './vscodeApi';

const ACTIONS: { action: HitAction; text: string; title: string }[] = [
  { action: 'openToSide', text: 'Side', title: 'Open to the side' },
  { action: 'copyPath', text: 'Copy', title: 'Copy path:lines' },
  { action: 'revealInExplorer', text: 'Reveal', title: 'Reveal in Explorer' },
  { action: 'findSimilar', text: 'Similar', title: 'Find code similar to this' },
];

const locations = new WeakMap<Element, PanelLocation>();

/** The location a result element stands for (hits and cluster files), if any. */
export function locationOf(el: Element | null): PanelLocation | undefined {
  return el ? locations.get(el) : undefined;
}

export function setLocation(el: Element, loc: PanelLocation): void {
  locations.set(el, loc);
}

/** The snippet, query words marked; numbered from `startLine` with the lines that matched highlighted, when known. */
function codeWithMarks(text: string, query: string, startLine?: number, matched?: readonly number[]): HTMLElement {
  const pre = h('pre');
  if (startLine === undefined) {
    for (const p of highlightPieces(text, query)) pre.append(p.match ? h('mark', { text: p.text }) : p.text);
    return pre;
  }
  const hot = new Set(matched ?? []);
  text.split('\n').forEach((line, i) => {
    const n = startLine + i;
    const row = h('span', { className: hot.has(n) ? 'line matched' : 'line' }, h('span', { className: 'ln', text: String(n), attrs: { 'aria-hidden': 'true' } }));
    for (const p of highlightPieces(line, query)) row.append(p.match ? h('mark', { text: p.text }) : p.text);
    pre.append(row); // a block per line: no newline text between them (it would show as a blank line)
  });
  return pre;
}

/** Five dots for a calibrated relevance (0–1); nothing for keyword hits or models without a calibration. */
export function relevanceDots(relevance: number | undefined): string {
  if (relevance === undefined) return '';
  const filled = Math.max(0, Math.min(5, Math.round(relevance * 5)));
  return '●'.repeat(filled) + '○'.repeat(5 - filled);
}

/** Renders hits grouped by file, in rank order of each file's best hit; each with its actions. */
export function renderHits(container: HTMLElement, hits: readonly PanelHit[], query: string, emptyText: string, state?: PanelAnswerState): void {
  container.textContent = '';
  // How far to trust what follows: no good match, partial index, keyword only.
  if (state?.notice) container.append(h('div', { className: state.match === 'none' || state.keywordOnly ? 'notice warn' : 'notice', text: state.notice, attrs: { role: 'status' } }));
  if (!hits.length) {
    container.append(h('div', { className: 'empty', text: state?.match === 'none' ? 'No good match, and no keyword hits.' : emptyText }));
    return;
  }
  const groups = new Map<string, PanelHit[]>();
  for (const hit of hits) {
    const key = `${hit.folder}:${hit.path}`;
    const list = groups.get(key);
    if (list) list.push(hit);
    else groups.set(key, [hit]);
  }
  for (const list of groups.values()) {
    const first = list[0];
    const name = first.path.split('/').pop() ?? first.path;
    const dir = first.path.slice(0, first.path.length - name.length);
    container.append(h('div', { className: 'file' }, h('span', { text: name }), h('span', { className: 'dir', text: (first.folderName ? `${first.folderName} · ` : '') + dir })));
    for (const hit of list) {
      const loc: PanelLocation = { folder: hit.folder, path: hit.path, startLine: hit.startLine, endLine: hit.endLine };
      const actions = h('span', { className: 'actions' });
      for (const a of ACTIONS) {
        const b = h('button', { className: 'hit-action', text: a.text, title: a.title, attrs: { 'data-action': a.action, 'aria-label': `${a.title}: ${hit.path}:${hit.startLine}` } });
        actions.append(b);
      }
      const el = h(
        'div',
        { className: 'hit', attrs: { role: 'option', 'aria-selected': 'false', tabindex: '0' } },
        h(
          'div',
          { className: 'meta' },
          h('span', { className: 'symbol', text: hit.symbol || hit.preview }),
          h('span', { className: 'relevance', text: relevanceDots(hit.relevance), ...(hit.relevance !== undefined ? { title: `relevance ${Math.round(hit.relevance * 100)}%` } : {}) }),
          h('span', { className: 'lines', text: `L${hit.startLine}-${hit.endLine}` }),
          actions,
        ),
        hit.snippet ? codeWithMarks(hit.snippet, query, hit.snippetStartLine, hit.matchedLines) : codeWithMarks(hit.preview, query),
      );
      if (hit.duplicates?.length) {
        const n = hit.duplicates.length;
        el.append(h('div', { className: 'duplicates', text: `identical in ${n === 1 ? hit.duplicates[0] : `${n} more places`}`, title: hit.duplicates.join('\n') }));
      }
      setLocation(el, loc);
      container.append(el);
    }
  }
}

/** A click on a result's action button: sends it and says so (true), or false when the click was elsewhere. */
export function handleActionClick(target: Element): boolean {
  const button = target.closest('.hit-action');
  if (!button) return false;
  const loc = locationOf(button.closest('.hit'));
  const action = button.getAttribute('data-action') as HitAction | null;
  if (loc && action) send({ type: 'hitAction', action, location: loc });
  return true;
}
