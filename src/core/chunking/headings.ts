/**
 * Section headings of a prose document, for cutting it into sections (chunker.ts) and mining heading → section
 * pairs (adapt/pairs.ts): Markdown (ATX `#` and setext `===`/`---`, outside code fences) and reStructuredText
 * (a title underlined, and optionally overlined, with a line of one punctuation character; levels in the order the
 * styles first appear, as docutils assigns them).
 */

export type ProseFormat = 'markdown' | 'rst';

export interface Heading {
  /** 1-based first line of the heading (the title line, or the overline of an overlined reST title). */
  line: number;
  /** Last line of the heading (its underline for setext and reST titles). */
  endLine: number;
  /** 1 = top level. */
  level: number;
  title: string;
}

export function headingsOf(lines: readonly string[], format: ProseFormat): Heading[] {
  return format === 'rst' ? rstHeadings(lines) : markdownHeadings(lines);
}

function markdownHeadings(lines: readonly string[]): Heading[] {
  const headings: Heading[] = [];
  let fence: string | undefined;
  lines.forEach((l, i) => {
    const f = /^\s{0,3}(```+|~~~+)/.exec(l);
    if (f) {
      if (!fence) fence = f[1][0];
      else if (f[1][0] === fence) fence = undefined;
      return;
    }
    if (fence) return;
    const h = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(l);
    if (h) {
      headings.push({ line: i + 1, endLine: i + 1, level: h[1].length, title: h[2] });
      return;
    }
    // Setext: a paragraph line underlined with === (level 1) or --- (level 2); the heading starts on the text line.
    const u = /^\s{0,3}(=+|-+)\s*$/.exec(l);
    const prev = i > 0 ? lines[i - 1] : '';
    if (u && prev.trim() && !/^\s{0,3}(?:[-*+>|]|\d+[.)]\s|#{1,6}\s|(?:=+|-+)\s*$)/.test(prev) && (i < 2 || !lines[i - 2].trim() || headings.at(-1)?.line === i - 1)) {
      headings.push({ line: i, endLine: i + 1, level: u[1][0] === '=' ? 1 : 2, title: prev.trim() });
    }
  });
  return headings;
}

/** A reST adornment line: one punctuation character repeated (at least 3 times), nothing else. */
const ADORNMENT = /^([!-/:-@[-`{-~])\1{2,}\s*$/;

function rstHeadings(lines: readonly string[]): Heading[] {
  const headings: Heading[] = [];
  const styles: string[] = [];
  const levelOf = (style: string): number => {
    if (!styles.includes(style)) styles.push(style);
    return styles.indexOf(style) + 1;
  };
  for (let i = 1; i < lines.length; i++) {
    const under = ADORNMENT.exec(lines[i]);
    const title = lines[i - 1];
    if (!under || !title.trim() || ADORNMENT.test(title)) continue;
    const over = i >= 2 && lines[i - 2].trimEnd() === lines[i].trimEnd();
    // A title is one line of text, unindented unless overlined, no longer than its underline (docutils requires it).
    if (lines[i].trimEnd().length < (over ? title.trim() : title.trimEnd()).length || (!over && /^\s/.test(title))) continue;
    if (!over && i >= 2 && lines[i - 2].trim() && headings.at(-1)?.endLine !== i - 1) continue; // the last line of a paragraph
    const start = over ? i - 1 : i;
    headings.push({ line: start, endLine: i + 1, level: levelOf(`${over ? 'o' : 'u'}${under[1]}`), title: title.trim() });
  }
  return headings;
}
