import { csvLine } from '@backlot/http';
import { parseCsv } from '@backlot/testing/csv';
import type { FieldDefinition } from '../collections/field-definition';
import { fromCell, toCell } from './field-cells';

const field = (type: FieldDefinition['type'], extra: Partial<FieldDefinition> = {}): FieldDefinition => ({ name: 'f', type, ...extra });

describe('field cells', () => {
  it('writes json and multi-valued fields as JSON text, numbers and booleans as they are, text as text, nothing as empty', () => {
    expect(toCell(field('json'), 'just text')).toBe('"just text"');
    expect(toCell(field('json'), { a: [1] })).toBe('{"a":[1]}');
    expect(toCell(field('select', { multiple: true }), ['a', 'b'])).toBe('["a","b"]');
    expect(toCell(field('relation', { multiple: true }), [])).toBe('[]');
    expect(toCell(field('number'), -1.5)).toBe(-1.5);
    expect(toCell(field('json'), -5)).toBe(-5);
    expect(toCell(field('boolean'), false)).toBe(false);
    expect(toCell(field('text'), '-5')).toBe('-5');
    expect(toCell(field('text'), 'x')).toBe('x');
    expect(toCell(field('text'), null)).toBe('');
    expect(toCell(field('text'), undefined)).toBe('');
  });

  it('reads cells by the field type, empty as absent', () => {
    expect(fromCell(field('number'), '-1.5e3')).toEqual({ value: -1500 });
    expect(fromCell(field('integer'), ' 42 ')).toEqual({ value: 42 });
    expect(fromCell(field('boolean'), 'TRUE')).toEqual({ value: true });
    expect(fromCell(field('boolean'), 'false')).toEqual({ value: false });
    expect(fromCell(field('json'), '{"a":1}')).toEqual({ value: { a: 1 } });
    expect(fromCell(field('select', { multiple: true }), '["a"]')).toEqual({ value: ['a'] });
    expect(fromCell(field('select'), 'a')).toEqual({ value: 'a' });
    expect(fromCell(field('text'), '007')).toEqual({ value: '007' });
    expect(fromCell(field('number'), '')).toEqual({});
  });

  it('leaves cells that do not convert as text for the validator, and reports JSON that does not parse', () => {
    expect(fromCell(field('number'), '12abc')).toEqual({ value: '12abc' });
    expect(fromCell(field('number'), 'Infinity')).toEqual({ value: 'Infinity' });
    expect(fromCell(field('boolean'), 'yes')).toEqual({ value: 'yes' });
    expect(fromCell(field('json'), '{nope')).toEqual({ problem: expect.objectContaining({ path: 'f', code: 'invalidJson' }) });
  });

  it('takes off the apostrophe an export puts before a formula, and only that one', () => {
    expect(fromCell(field('text'), '\'=HYPERLINK("http://x")')).toEqual({ value: '=HYPERLINK("http://x")' });
    expect(fromCell(field('text'), "''@SUM(1)")).toEqual({ value: "'@SUM(1)" });
    expect(fromCell(field('text'), "'quoted")).toEqual({ value: "'quoted" });
    expect(fromCell(field('number'), "'-5")).toEqual({ value: -5 });
  });

  it('round-trips every value through a cell', () => {
    const cases: [FieldDefinition, unknown][] = [
      [field('json'), 'text'],
      [field('json'), [1, { b: null }]],
      [field('number'), 0.1],
      [field('integer'), -7],
      [field('boolean'), true],
      [field('datetime'), '2024-01-02T03:04:05.000Z'],
      [field('relation', { multiple: true }), ['0190a0c4-7c1e-7cc2-9d3b-4c8f2b1a9e11']],
      [field('json'), -5],
      [field('text'), '=1+1'],
      [field('text'), "'-1"],
    ];
    const written = (definition: FieldDefinition, value: unknown) => parseCsv(csvLine([toCell(definition, value)]))[0][0];
    for (const [definition, value] of cases) expect(fromCell(definition, written(definition, value)).value).toEqual(value);
  });
});
