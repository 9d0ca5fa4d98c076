import type { FieldError } from '@backlot/http';
import type { FieldDefinition } from '../collections/field-definition';

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Fields whose value is a JSON structure: in a CSV cell they are JSON text. */
function isStructured(field: FieldDefinition): boolean {
  return field.type === 'json' || (field.multiple === true && (field.type === 'select' || field.type === 'relation'));
}

/** A field's value as CSV cell text: JSON for json and multi-valued fields, empty for no value. */
export function toCell(field: FieldDefinition, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (isStructured(field)) return JSON.stringify(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value as string | number | boolean);
}

/**
 * A CSV cell as a field value, by the field's type. A cell that does not convert (say `abc`
 * in a number column) is passed on as text so the record validator reports it with its
 * usual message; only JSON that does not parse is reported here. Empty means absent.
 */
export function fromCell(field: FieldDefinition, cell: string): { value?: unknown; problem?: FieldError } {
  if (cell === '') return {};
  if (isStructured(field)) {
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
