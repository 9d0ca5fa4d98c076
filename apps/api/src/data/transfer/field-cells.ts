import { type FieldError, nestsDeeperThan, RECORD_JSON_MAX_DEPTH, withoutFormulaGuard } from '@backlot/http';
import type { FieldDefinition } from '../collections/field-definition';

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Fields whose value is a JSON structure: in a CSV cell they are JSON text. */
function isStructured(field: FieldDefinition): boolean {
  return field.type === 'json' || (field.multiple === true && (field.type === 'select' || field.type === 'relation'));
}

/**
 * A field's value as a CSV cell for csvLine: numbers and booleans as they are (not text, so
 * never given a formula guard: a -5 stays -5), JSON text for json and multi-valued fields,
 * empty for no value, text otherwise.
 */
export function toCell(field: FieldDefinition, value: unknown): string | number | boolean {
  if (value === undefined || value === null) return '';
  // Their JSON text is their plain text, so json fields holding them read back the same.
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (isStructured(field) || typeof value === 'object') return JSON.stringify(value);
  return String(value as string);
}

/**
 * A CSV cell as a field value, by the field's type, after taking off the apostrophe an export
 * puts before text a spreadsheet would run (withoutFormulaGuard), so an export imports back
 * unchanged. A cell that does not convert (say `abc` in a number column) is passed on as text
 * so the record validator reports it with its usual message; only JSON that does not parse
 * is reported here. Empty means absent.
 */
export function fromCell(field: FieldDefinition, written: string): { value?: unknown; problem?: FieldError } {
  const cell = withoutFormulaGuard(written);
  if (cell === '') return {};
  if (isStructured(field)) {
    if (nestsDeeperThan(cell, RECORD_JSON_MAX_DEPTH)) {
      const message = `${field.name} nests deeper than ${RECORD_JSON_MAX_DEPTH} levels of arrays and objects`;
      return { problem: { path: field.name, code: 'tooDeep', message } };
    }
    try {
      return { value: JSON.parse(cell) as unknown };
    } catch {
      return { problem: { path: field.name, code: 'invalidJson', message: `${field.name} must be JSON text in a CSV cell` } };
    }
  }
  switch (field.type) {
    case 'number':
    case 'integer':
      return { value: NUMBER.test(cell.trim()) ? Number(cell) : cell };
    case 'boolean': {
      const lower = cell.trim().toLowerCase();
      return { value: lower === 'true' ? true : lower === 'false' ? false : cell };
    }
    default:
      return { value: cell };
  }
}
