import { parseJsonText, RECORD_JSON_MAX_DEPTH } from '@backlot/http';
import type { FieldDefinition } from '../collections/field-definition';

/**
 * A form field's text as the field's type expects it, so a plain HTML form can write any
 * record: numbers and booleans are read as such, json fields as JSON, an empty text as null
 * for types where "" means nothing. What does not read as its type stays text, and the
 * record validator then names the field.
 */
export function formValue(field: FieldDefinition | undefined, text: string): unknown {
  switch (field?.type) {
    case 'number':
    case 'integer':
      return text.trim() === '' ? null : Number.isFinite(Number(text)) ? Number(text) : text;
    case 'boolean':
      return text === 'true' || text === 'on' ? true : text === 'false' || text === '' ? false : text;
    case 'json':
      try {
        return parseJsonText(text, RECORD_JSON_MAX_DEPTH, field.name);
      } catch (error) {
        // Not JSON: kept as text (a valid json value); too deep or unstorable text is refused.
        if (error instanceof SyntaxError) return text;
        throw error;
      }
    case 'datetime':
    case 'relation':
    case 'user':
      return text === '' ? null : text;
    default:
      return text;
  }
}
