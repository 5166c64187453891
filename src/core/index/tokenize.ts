/**
 * Code-aware tokens for the lexical index: identifiers are kept whole and also split on
 * camelCase, PascalCase, snake_case, kebab-case and digit boundaries, all lower-cased.
 * `parseHTTPResponse2` → parsehttpresponse2, parse, http, response, 2.
 */
const WORD = /[\p{L}\p{N}_$]+/gu;

/** The last name of a qualified symbol: `Sinatra::Base` → `Base`, `res.cookie()` → `cookie`, `Router#handle` → `handle`. */
export function lastName(symbol: string): string {
  const parts = symbol.replace(/\(\)$/, '').split(/::|\\|->|\.|#/);
  return parts[parts.length - 1];
}

/** Splits one identifier into its parts (no lower-casing). */
export function splitIdentifier(word: string): string[] {
  return word
    .split(/[_$]+/)
    .flatMap((part) => part.split(/(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])/))
    .filter((p) => p.length > 0);
}

const STOP = new Set(
  'a an and are as at be but by for from has have if in into is it its of on or that the their then there these this to was were will with'.split(' '),
);

/** Tokens for indexing and querying. Stop words and one-letter parts are dropped (but not whole identifiers). */
export function codeTokens(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(WORD)) {
    const word = m[0];
    const whole = word.toLowerCase();
    const parts = splitIdentifier(word);
    if (parts.length > 1) {
      if (whole.replace(/[_$]/g, '').length > 1) out.push(whole);
      for (const p of parts) {
        const lp = p.toLowerCase();
        if (lp.length > 1 && !STOP.has(lp)) out.push(lp);
      }
    } else if (whole.length > 1 && !STOP.has(whole)) {
      out.push(whole);
    }
  }
  return out;
}

/** Words that make a query a question without saying what it is about: matched in comments, they only add noise. */
const QUESTION_WORDS = new Set('how does do did what when where which why who whom whose can could should would'.split(' '));

/** A keyword query's tokens: codeTokens without question words (kept if nothing else is left: `how` alone is searched). */
export function queryTokens(query: string): string[] {
  const terms = [...new Set(codeTokens(query))];
  const topical = terms.filter((t) => !QUESTION_WORDS.has(t));
  return topical.length > 0 ? topical : terms;
}

/** Does the query look like code to find by name or exact text (an identifier, a path, a quoted string)? */
export function looksLikeIdentifier(query: string): boolean {
  const q = query.trim();
  if (/^["'`].+["'`]$/.test(q)) return true;
  if (/\s/.test(q)) return /[({[\].=<>]|::|->/.test(q) && q.split(/\s+/).length <= 4;
  return /[_$./\\]|[a-z][A-Z]|\(\)$/.test(q) || /^[A-Z][a-z]+[A-Z]/.test(q);
}
