/** A lone surrogate half: one not paired with its other half (invalid UTF-16). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `text` as a text column (or a JSON string in JSONB) will take it, at most `maxLength`
 * UTF-16 units long: PostgreSQL refuses the NUL character, so it is dropped; a lone surrogate
 * half (text cut in the middle of a pair elsewhere) becomes U+FFFD; and the cut here never
 * splits a pair. For text that comes from outside (a webhook receiver's answer, an error message).
 */
export function storableText(text: string, maxLength = Number.POSITIVE_INFINITY): string {
  const clean = text.replaceAll('\u0000', '').replace(LONE_SURROGATE, '\uFFFD');
  if (clean.length <= maxLength) return clean;
  const lastKept = clean.charCodeAt(maxLength - 1);
  return clean.slice(0, lastKept >= 0xd800 && lastKept <= 0xdbff ? maxLength - 1 : maxLength);
}
