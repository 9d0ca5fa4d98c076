import { FilterError } from './filter-error';
import { type Token, tokenize } from './filter-lexer';

export type ComparisonOperator = '=' | '!=' | '>' | '>=' | '<' | '<=' | '~' | '!~';

export type Operand =
  | { kind: 'field'; name: string; position: number }
  | { kind: 'string'; value: string; position: number }
  | { kind: 'number'; value: number; position: number }
  | { kind: 'boolean'; value: boolean; position: number }
  | { kind: 'null'; position: number }
  | { kind: 'macro'; name: 'me' | 'now'; position: number };

export type Literal = Extract<Operand, { kind: 'string' | 'number' | 'boolean' | 'null' }>;

export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode; position: number }
  | { kind: 'not'; operand: FilterNode; position: number }
  | { kind: 'compare'; operator: ComparisonOperator; left: Operand; right: Operand; position: number }
  | { kind: 'in'; negated: boolean; operand: Operand; values: Literal[]; position: number };

export const FILTER_LIMITS = { maxLength: 4_096, maxDepth: 32, maxNodes: 200, maxInValues: 100 };

const COMPARISONS = new Set(['=', '!=', '>', '>=', '<', '<=', '~', '!~']);

/**
 * Recursive-descent parser for the filter and rule language:
 *   or := and ('||' and)* ; and := unary ('&&' unary)* ; unary := '!' unary | primary
 *   primary := '(' or ')' | operand (comparison operand | ['not'] 'in' '(' literal, … ')')
 * Sizes are bounded (length, nesting, node count) so a hostile filter cannot exhaust the stack or the planner.
 */
export function parseFilter(source: string): FilterNode {
  if (source.length > FILTER_LIMITS.maxLength) {
    throw new FilterError(`Filter is longer than ${FILTER_LIMITS.maxLength} characters`, FILTER_LIMITS.maxLength, 'tooComplex');
  }
  return new Parser(tokenize(source)).parse();
}

class Parser {
  private at = 0;
  private nodes = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): FilterNode {
    if (this.peek().kind === 'end') throw new FilterError('Filter is empty', 0, 'syntax');
    const node = this.or(0);
    const rest = this.peek();
    if (rest.kind !== 'end') throw new FilterError(`Unexpected ${describe(rest)}; expected && or ||`, rest.position, 'syntax');
    return node;
  }

  private or(depth: number): FilterNode {
    let node = this.and(depth);
    while (this.isOperator('||')) {
      const position = this.next().position;
      node = this.count({ kind: 'or', left: node, right: this.and(depth), position });
    }
    return node;
  }

  private and(depth: number): FilterNode {
    let node = this.unary(depth);
    while (this.isOperator('&&')) {
      const position = this.next().position;
      node = this.count({ kind: 'and', left: node, right: this.unary(depth), position });
    }
    return node;
  }

  private unary(depth: number): FilterNode {
    if (depth > FILTER_LIMITS.maxDepth)
      throw new FilterError(`Filter is nested deeper than ${FILTER_LIMITS.maxDepth} levels`, this.peek().position, 'tooComplex');
    if (this.isOperator('!')) {
      const position = this.next().position;
      return this.count({ kind: 'not', operand: this.unary(depth + 1), position });
    }
    if (this.peek().kind === 'lparen') {
      this.next();
      const inner = this.or(depth + 1);
      this.expect('rparen', ')');
      return inner;
    }
    return this.comparison();
  }

  private comparison(): FilterNode {
    const left = this.operand();
    const token = this.peek();
    const negatedIn = token.kind === 'identifier' && token.text.toLowerCase() === 'not';
    if (negatedIn || (token.kind === 'identifier' && token.text.toLowerCase() === 'in')) {
      this.next();
      if (negatedIn) this.expectKeyword('in');
      return this.count({ kind: 'in', negated: negatedIn, operand: left, values: this.list(), position: token.position });
    }
    if (token.kind !== 'operator' || !COMPARISONS.has(token.text)) {
      throw new FilterError(
        `Expected a comparison (= != > >= < <= ~ !~ in) after ${describeOperand(left)}, found ${describe(token)}`,
        token.position,
        'syntax',
      );
    }
    this.next();
    return this.count({
      kind: 'compare',
      operator: token.text as ComparisonOperator,
      left,
      right: this.operand(),
      position: token.position,
    });
  }

  private list(): Literal[] {
    this.expect('lparen', '(');
    const values: Literal[] = [];
    do {
      const value = this.operand();
      if (value.kind === 'field' || value.kind === 'macro')
        throw new FilterError('in (…) takes literal values only', value.position, 'syntax');
      values.push(value);
      if (values.length > FILTER_LIMITS.maxInValues)
        throw new FilterError(`in (…) takes at most ${FILTER_LIMITS.maxInValues} values`, value.position, 'tooComplex');
    } while (this.peek().kind === 'comma' && this.next());
    this.expect('rparen', ')');
    return values;
  }

  private operand(): Operand {
    const token = this.next();
    const { position } = token;
    switch (token.kind) {
      case 'string':
        return { kind: 'string', value: token.text, position };
      case 'number':
        return { kind: 'number', value: token.number!, position };
      case 'macro':
        if (token.text !== 'me' && token.text !== 'now')
          throw new FilterError(`Unknown macro @${token.text} (use @me or @now)`, position, 'syntax');
        return { kind: 'macro', name: token.text, position };
      case 'identifier': {
        const lowered = token.text.toLowerCase();
        if (lowered === 'true' || lowered === 'false') return { kind: 'boolean', value: lowered === 'true', position };
        if (lowered === 'null') return { kind: 'null', position };
        return { kind: 'field', name: token.text, position };
      }
      default:
        throw new FilterError(`Expected a field, a value, @me or @now, found ${describe(token)}`, position, 'syntax');
    }
  }

  private count<T extends FilterNode>(node: T): T {
    this.nodes += 1;
    if (this.nodes > FILTER_LIMITS.maxNodes)
      throw new FilterError(`Filter has more than ${FILTER_LIMITS.maxNodes} conditions`, node.position, 'tooComplex');
    return node;
  }

  private peek(): Token {
    return this.tokens[this.at];
  }

  private next(): Token {
    const token = this.tokens[this.at];
    if (token.kind !== 'end') this.at += 1;
    return token;
  }

  private isOperator(text: string): boolean {
    const token = this.peek();
    return token.kind === 'operator' && token.text === text;
  }

  private expect(kind: Token['kind'], text: string): void {
    const token = this.next();
    if (token.kind !== kind) throw new FilterError(`Expected ${text}, found ${describe(token)}`, token.position, 'syntax');
  }

  private expectKeyword(word: string): void {
    const token = this.next();
    if (token.kind !== 'identifier' || token.text.toLowerCase() !== word)
      throw new FilterError(`Expected ${word}, found ${describe(token)}`, token.position, 'syntax');
  }
}

function describe(token: Token): string {
  if (token.kind === 'end') return 'the end of the filter';
  if (token.kind === 'string') return 'a string';
  return JSON.stringify(token.text.slice(0, 30));
}

function describeOperand(operand: Operand): string {
  return operand.kind === 'field' ? `field ${operand.name}` : operand.kind === 'macro' ? `@${operand.name}` : 'a value';
}
