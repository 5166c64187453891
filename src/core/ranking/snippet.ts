import { codeTokens } from '../index/tokenize';

/**
 * Where to cut a hit's snippet: the window of at most `maxLines` lines of the chunk holding the most lines
 * that contain a query word (identifiers split as the keyword index splits them), so a long function shows
 * the lines that matched rather than its first eight. With no line matching, the chunk's first lines
 * (leading blank lines skipped).
 */
export function snippetWindow(lines: readonly string[], query: string, maxLines: number): { start: number; end: number; matched: number[] } {
  const words = new Set(codeTokens(query).filter((t) => t.length > 2));
  const matched: number[] = [];
  if (words.size > 0) {
    lines.forEach((line, i) => {
      if (codeTokens(line).some((t) => words.has(t))) matched.push(i);
    });
  }
  let first = 0;
  while (first < lines.length - 1 && !lines[first].trim()) first++;
  if (matched.length === 0 || lines.length - first <= maxLines) return { start: first, end: Math.min(lines.length, first + maxLines), matched };
  // The window with the most matched lines; among equals the earliest; then centred on its matches.
  let bestStart = matched[0];
  let bestCount = 0;
  for (const s of matched) {
    const count = matched.filter((m) => m >= s && m < s + maxLines).length;
    if (count > bestCount) {
      bestCount = count;
      bestStart = s;
    }
  }
  const inside = matched.filter((m) => m >= bestStart && m < bestStart + maxLines);
  const centre = Math.round((inside[0] + inside[inside.length - 1]) / 2);
  let start = Math.max(first, centre - Math.floor(maxLines / 2));
  start = Math.min(start, Math.max(first, lines.length - maxLines));
  return { start, end: Math.min(lines.length, start + maxLines), matched };
}
