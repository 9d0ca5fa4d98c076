import { ProblemError } from '@backlot/client';
import { useState } from 'react';
import { Button, Form } from 'react-aria-components';
import { client, describe } from '../../api';
import { Problem } from '../../ui/status';
import { FieldInput } from './field-input';
import { type Draft, fieldProblems, prepare, type Schema, shownFields, type StoredRecord, toDraft } from './record-form-values';

interface RecordFormProps {
  schema: Schema;
  /** The record as loaded (its version is the If-Match of the save), or null for a new one. */
  record: StoredRecord | null;
  onSaved(record: StoredRecord): void;
  /** Loads the record again, after a save was refused because it changed meanwhile. */
  onReload(): void;
}

/**
 * A record's fields as a form generated from the collection's schema. A new record is created
 * (with its files, multipart); an edit is a PATCH with If-Match, so a change made meanwhile is
 * a 412 the form explains instead of an overwrite.
 */
export function RecordForm({ schema, record, onSaved, onReload }: RecordFormProps) {
  const fields = shownFields(schema);
  const [loaded] = useState<Draft>(() => toDraft(fields, record));
  const [draft, setDraft] = useState<Draft>(loaded);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [stale, setStale] = useState(false);
  const [busy, setBusy] = useState(false);

  const save = async () => {
    const prepared = prepare(fields, draft, record, loaded);
    setStale(false);
    if (Object.keys(prepared.problems).length > 0) {
      setErrors(prepared.problems);
      setProblem('Nothing was sent: fix the fields marked below first.');
      return;
    }
    setBusy(true);
    setProblem(null);
    setErrors({});
    try {
      const records = client.collection(schema.name);
      const files = Object.keys(prepared.files).length > 0 ? prepared.files : undefined;
      const saved = record ? await records.update(record, prepared.data, { files }) : await records.create(prepared.data, { files });
      onSaved(saved as StoredRecord);
    } catch (error) {
      if (error instanceof ProblemError && error.status === 412) {
        setStale(true);
        setProblem(
          `Not saved: this record was changed by someone else after you opened it (you had version ${record?.version}). ` +
            'Load the current version and make your change again; what you typed here is lost when you load it.',
        );
        return;
      }
      const { byField, other } = fieldProblems(error, fields);
      setErrors(byField);
      const marked = Object.keys(byField).length > 0 ? ' See the fields marked below.' : '';
      setProblem(
        error instanceof ProblemError ? [`Not saved: ${error.detail}${marked}`, ...other].join(' ') : `Not saved: ${describe(error)}`,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <Form
      className="react-aria-Form record-form"
      validationBehavior="aria"
      aria-label={record ? 'Record fields' : 'New record fields'}
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
    >
      <Problem text={problem} />
      {stale && (
        <div className="actions start">
          <Button className="react-aria-Button quiet" onPress={onReload}>
            Load the current version
          </Button>
        </div>
      )}
      {fields.length === 0 && <p>This collection has no fields to fill in.</p>}
      {fields.map((field) => (
        <FieldInput
          key={field.name}
          field={field}
          value={draft[field.name]}
          error={errors[field.name]}
          onChange={(value) => {
            setDraft((now) => ({ ...now, [field.name]: value }));
            setErrors(({ [field.name]: _, ...rest }) => rest);
          }}
        />
      ))}
      <div className="actions start">
        <Button type="submit" isDisabled={busy}>
          {record ? 'Save changes' : 'Create record'}
        </Button>
      </div>
    </Form>
  );
}
