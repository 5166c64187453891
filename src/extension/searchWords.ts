/**
 * What the search UIs say about an answer (QuickPick title, result rows), without `vscode` so the unit
 * tests read it: keyword-only mode, partial results while indexing, no good match, active filters; a
 * relevance bar instead of a raw score.
 */
import type { EngineStatus, WorkspaceAnswer, WorkspaceHit } from '../shared/engineProtocol';
import { shortName } from './modelChoices';

/** Slots of the relevance bar. */
const BAR_SLOTS = 5;

/**
 * A hit's calibrated relevance (0–1) as a bar of five dots, `●●●○○`; undefined when there is none to show
 * (keyword hits, an uncalibrated model). Raw BM25 or fused scores are never shown.
 */
export function relevanceBar(relevance: number | undefined): string | undefined {
  if (relevance === undefined) return undefined;
  // A hit at or below the floor (in a search that found a good match elsewhere) shows an empty bar.
  const filled = Math.min(BAR_SLOTS, Math.max(0, Math.round(relevance * BAR_SLOTS)));
  return '●'.repeat(filled) + '○'.repeat(BAR_SLOTS - filled);
}

/** The first snippet line that holds a query word, trimmed (what the row shows instead of the chunk's first line). */
export function matchedLineOf(h: Pick<WorkspaceHit, 'snippet' | 'snippetStartLine' | 'matchedLines'>): string | undefined {
  if (!h.matchedLines?.length || h.snippetStartLine === undefined) return undefined;
  const line = h.snippet.split('\n')[h.matchedLines[0] - h.snippetStartLine]?.trim();
  if (!line) return undefined;
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

/** The notes after a search title, most important first. */
export function answerNotes(answer: WorkspaceAnswer | undefined, filter: { includeTests: boolean; paths: string }, status: Pick<EngineStatus, 'model' | 'modelLoaded'>): string[] {
  const notes: string[] = [];
  if (answer?.keywordOnly) notes.push(`keyword only: model ${shortName(answer.keywordOnly.model)} ${answer.keywordOnly.reason}`);
  else if (!answer && status.modelLoaded === false) notes.push(`keyword only: model ${shortName(status.model)} missing`);
  if (answer?.match === 'none') notes.push(answer.hits.length ? 'no good match, showing keyword hits' : 'no good match');
  if (answer?.partial) notes.push(`partial: ${answer.partial.phase === 'embedding' ? 'indexing' : answer.partial.phase} ${answer.partial.percent}%`);
  if (!filter.includeTests) notes.push('tests left out');
  if (filter.paths) notes.push(`only in ${filter.paths}`);
  return notes;
}

/** `Kindred: Search by Meaning — keyword only: model all-mpnet-base-v2 missing · tests left out`. */
export function answerTitle(base: string, answer: WorkspaceAnswer | undefined, filter: { includeTests: boolean; paths: string }, status: Pick<EngineStatus, 'model' | 'modelLoaded'>): string {
  const notes = answerNotes(answer, filter, status);
  return notes.length ? `${base} — ${notes.join(' · ')}` : base;
}
