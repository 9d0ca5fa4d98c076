import type { SqlParams } from './filter-compiler';

/**
 * The text-search configurations a collection may search in: PostgreSQL's own, present both in
 * PostgreSQL 15 and in the embedded PGlite. `simple` lower-cases words and nothing more; the
 * language ones also stem them (`english`: "running" finds "run") and drop stop words. A name
 * reaches SQL as a literal, so only these may pass.
 */
export const TEXT_SEARCH_LANGUAGES = [
  'simple',
  'arabic',
  'armenian',
  'basque',
  'catalan',
  'danish',
  'dutch',
  'english',
  'finnish',
  'french',
  'german',
  'greek',
  'hindi',
  'hungarian',
  'indonesian',
  'irish',
  'italian',
  'lithuanian',
  'nepali',
  'norwegian',
  'portuguese',
  'romanian',
  'russian',
  'serbian',
  'spanish',
  'swedish',
  'tamil',
  'turkish',
  'yiddish',
] as const;
export type TextSearchLanguage = (typeof TEXT_SEARCH_LANGUAGES)[number];

/** The configuration as a SQL literal, refusing anything not on the list. */
export function searchConfig(language: string): string {
  if (!(TEXT_SEARCH_LANGUAGES as readonly string[]).includes(language)) throw new Error(`Unknown text search language ${language}`);
  return `'${language}'::regconfig`;
}

/**
 * A caller's search as a tsquery, in web-search syntax (`milk -sugar "brown bread" or honey`),
 * with one addition for search-as-you-type: a last word still being typed (no space after it,
 * not negated, not inside an open quote) matches as a prefix, so `mil` finds "milk".
 */
export function searchQuery(q: string, language: string, params: SqlParams): string {
  const config = searchConfig(language);
  const typing = wordBeingTyped(q);
  if (!typing) return `websearch_to_tsquery(${config}, ${params.add(q, 'text')})`;
  const prefix = `'${typing.word.replaceAll('\\', '\\\\').replaceAll("'", "''")}':*`;
  // `honey or bre`: the word being typed is an alternative to what comes before it, not an addition.
  const alternative = /(^|\s)or\s+$/i.exec(typing.before);
  const before = alternative ? typing.before.slice(0, alternative.index) : typing.before;
  const join = alternative ? '||' : '&&';
  return `(websearch_to_tsquery(${config}, ${params.add(before, 'text')}) ${join} to_tsquery(${config}, ${params.add(prefix, 'text')}))`;
}

/** The last word of `q` when it is still being typed, and what comes before it. */
export function wordBeingTyped(q: string): { before: string; word: string } | undefined {
  if (/\s$/.test(q) || (q.match(/"/g)?.length ?? 0) % 2 === 1) return undefined;
  const match = /(^|\s)([^\s"]+)$/.exec(q);
  if (!match) return undefined;
  const word = match[2];
  // A negated word excludes, and `or` joins: neither is a word to complete.
  if (word.startsWith('-') || word.toLowerCase() === 'or' || !/[\p{L}\p{N}]/u.test(word)) return undefined;
  return { before: q.slice(0, q.length - word.length), word };
}
