import type { Field, DraftValue } from './record-form-values';

export interface FieldInputProps {
  field: Field;
  value: DraftValue;
  onChange(value: DraftValue): void;
  /** The server's (or the form's own) problem with this field's value. */
  error?: string;
}

/** The label of a field: its name, and a mark when it is required (the control says so to screen readers). */
export function FieldLabel({ field }: { field: Field }) {
  return (
    <>
      {field.name}
      {field.required && (
        <span className="required" aria-hidden="true">
          {' '}
          *
        </span>
      )}
    </>
  );
}
