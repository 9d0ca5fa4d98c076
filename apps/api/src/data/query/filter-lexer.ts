import { FilterError } from './filter-error';

export type TokenKind = 'identifier' | 'string' | 'number' | 'macro' | 'operator' | 'lparen' | 'rparen' | 'comma' | 'end';

export interface Token {
  kind: TokenKind;
  /** Identifier and macro names, operators, and the decoded value of string literals. */
  text: string;
  number?: number;
  position: number;
}

// Longest first, so `>=` is not read as `>` then `=`.
const OPERATORS = ['&&', '||', '!=', '!~', '>=', '<=', '=', '~', '>', '<', '!'];
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\r\n]+/y;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' };

/** Splits a filter into tokens; every token keeps its offset for error messages. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  const match = (pattern: RegExp): string | undefined => {
    pattern.lastIndex = at;
    const found = pattern.exec(source);
    return found ? found[0] : undefined;
  };
  while (at < source.length) {
    const space = match(WHITESPACE);
    if (space) {
      at += space.length;
      continue;
    }
    const char = source[at];
    const start = at;
    if (char === "'" || char === '"') {
      const { value, end } = readString(source, at);
      tokens.push({ kind: 'string', text: value, position: start });
      at = end;
    } else if (char === '(' || char === ')' || char === ',') {
      tokens.push({ kind: char === '(' ? 'lparen' : char === ')' ? 'rparen' : 'comma', text: char, position: start });
      at += 1;
    } else if (char === '@') {
      at += 1;
      const name = match(IDENTIFIER);
      if (!name) throw new FilterError('Expected a macro name after @ (@me or @now)', start, 'syntax');
      tokens.push({ kind: 'macro', text: name, position: start });
      at += name.length;
    } else if (/[-.\d]/.test(char) && match(NUMBER)) {
      const text = match(NUMBER)!;
      const value = Number(text);
      if (!Number.isFinite(value)) throw new FilterError(`Number ${text.slice(0, 20)} is out of range`, start, 'syntax');
      tokens.push({ kind: 'number', text, number: value, position: start });
      at += text.length;
    } else if (/[A-Za-z_]/.test(char)) {
      const name = match(IDENTIFIER)!;
      tokens.push({ kind: 'identifier', text: name, position: start });
      at += name.length;
    } else {
      const operator = OPERATORS.find((op) => source.startsWith(op, at));
      if (!operator) throw new FilterError(`Unexpected character ${JSON.stringify(char)}`, start, 'syntax');
      tokens.push({ kind: 'operator', text: operator, position: start });
      at += operator.length;
    }
  }
  tokens.push({ kind: 'end', text: '', position: source.length });
  return tokens;
}

function readString(source: string, start: number): { value: string; end: number } {
  const quote = source[start];
  let value = '';
  for (let at = start + 1; at < source.length; at++) {
    const char = source[at];
    if (char === quote) return { value, end: at + 1 };
    if (char === '\\') {
      const escaped = ESCAPES[source[at + 1]];
      if (escaped === undefined) throw new FilterError('Unknown escape in string (use \\\\, \\\', \\", \\n, \\t or \\r)', at, 'syntax');
      value += escaped;
      at += 1;
    } else {
      value += char;
    }
  }
  throw new FilterError('Unterminated string', start, 'syntax');
}
