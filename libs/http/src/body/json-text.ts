import { type FieldError, ValidationFailed } from '../errors/domain-errors';

declare global {
  interface String {
    /** ES2024, in Node since 20; the ES2023 library the project compiles against does not declare it. */
    isWellFormed(): boolean;
  }
}

/** Nesting limit of request bodies: deeper than any DTO, shallow enough for every recursive library behind it. */
export const JSON_MAX_DEPTH = 64;
/** Nesting limit of record bodies (and import lines), whose `json` fields hold the client's own documents. */
export const RECORD_JSON_MAX_DEPTH = 128;

/** Whether JSON text nests arrays and objects deeper than `limit`, found without parsing it. */
export function nestsDeeperThan(text: string, limit: number): boolean {
  // A document cannot nest deeper than it has characters: short texts need no scan.
  return text.length > limit && jsonDepth(text, limit) > limit;
}

/** The deepest nesting of arrays and objects in JSON text; stops counting once past `limit`. */
export function jsonDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

/**
 * Parses JSON text from outside and refuses what no handler should have to defend against:
 * nesting deeper than `maxDepth` (checked before parsing: libraries that walk values
 * recursively overflow the stack thousands of levels down), text that PostgreSQL cannot
 * store or that breaks string functions (NUL, lone surrogate halves), and keys that poison
 * prototypes once merged into another object (`__proto__`, `constructor.prototype`). Failures name the field path.
 */
export function parseJsonText(text: string, maxDepth: number, path = ''): unknown {
  if (nestsDeeperThan(text, maxDepth)) {
    const message = `The JSON nests deeper than ${maxDepth} levels of arrays and objects.`;
    throw new ValidationFailed([{ path: path || '(body)', code: 'tooDeep', message }], message);
  }
  const value = JSON.parse(text) as unknown;
  const errors = unsafeText(value, path);
  if (errors.length > 0) throw new ValidationFailed(errors, errors[0].message);
  return value;
}

const MAX_REPORTED = 20;

/** NUL characters, lone surrogates and `__proto__` keys anywhere in a parsed value (at most 20 reported). */
export function unsafeText(value: unknown, path = ''): FieldError[] {
  const errors: FieldError[] = [];
  const visit = (item: unknown, at: string): void => {
    if (errors.length >= MAX_REPORTED) return;
    if (typeof item === 'string') {
      const problem = textProblem(item);
      if (problem) errors.push({ path: at || '(body)', code: problem.code, message: `${at || 'the body'} ${problem.message}` });
      return;
    }
    if (item === null || typeof item !== 'object') return;
    if (Array.isArray(item)) {
      item.forEach((element, index) => visit(element, at ? `${at}.${index}` : String(index)));
      return;
    }
    for (const [key, element] of Object.entries(item)) {
      const keyPath = at ? `${at}.${key}` : key;
      const problem = poisonsPrototypes(key, element)
        ? { code: 'forbiddenKey', message: 'is not an allowed property name' }
        : textProblem(key);
      if (problem)
        errors.push({ path: at || '(body)', code: problem.code, message: `property name ${JSON.stringify(keyPath)} ${problem.message}` });
      else visit(element, keyPath);
    }
  };
  visit(value, path);
  return errors;
}

/** `__proto__`, or `constructor` holding a `prototype`: harmless as parsed, but they rewrite prototypes once merged or assigned. */
function poisonsPrototypes(key: string, value: unknown): boolean {
  if (key === '__proto__') return true;
  return key === 'constructor' && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype');
}

/** Why a string cannot be accepted as text, if it cannot. */
export function textProblem(text: string): { code: string; message: string } | undefined {
  if (text.includes('\u0000')) return { code: 'nulCharacter', message: 'must not contain a NUL character' };
  if (!text.isWellFormed()) return { code: 'illFormedUnicode', message: 'must be well-formed Unicode (it has a lone surrogate half)' };
  return undefined;
}
