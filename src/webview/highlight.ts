/** The query's words (and identifier parts) in a snippet, as pieces to render: pure, no DOM. */
export interface Piece {
  text: string;
  match: boolean;
}

/** Words of three letters or more, with camelCase and snake_case parts, as regex-escaped alternatives. */
export function queryWords(query: string): string[] {
  const words = (query.match(/[\p{L}\p{N}_]+/gu) ?? [])
    .flatMap((w) => [w, ...w.split(/_|(?<=[a-z])(?=[A-Z])/)])
    .filter((w) => w.length > 2)
    .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return [...new Set(words)];
}

/** Splits `text` into matched and unmatched pieces (case-insensitive); one unmatched piece when nothing matches. */
export function highlightPieces(text: string, query: string): Piece[] {
  const words = queryWords(query);
  if (!words.length) return [{ text, match: false }];
  return text
    .split(new RegExp(`(${words.join('|')})`, 'giu'))
    .map((part, i) => ({ text: part, match: i % 2 === 1 }))
    .filter((p) => p.text.length > 0);
}
