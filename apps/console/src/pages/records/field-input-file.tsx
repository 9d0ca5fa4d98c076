import { useId } from 'react';
import { Button } from 'react-aria-components';
import { FieldLabel } from './field-input-label';
import type { Field, FileDraft } from './record-form-values';

interface FileInputProps {
  field: Field;
  value: FileDraft;
  onChange(value: FileDraft): void;
  error?: string;
}

/**
 * A file field: the stored files by name, each removable, and a file input whose picks upload
 * with the save (a single field's pick replaces its file).
 */
export function FileInput({ field, value, onChange, error }: FileInputProps) {
  const id = useId();
  const files = [...value.kept.map((file) => ({ key: `kept:${file.name}`, name: file.original })), ...value.added.map(addedEntry)];
  const remove = (key: string) =>
    onChange({
      kept: value.kept.filter((file) => `kept:${file.name}` !== key),
      added: value.added.filter((file, index) => addedEntry(file, index).key !== key),
    });
  return (
    <div className="field file-field">
      <label htmlFor={id}>
        <FieldLabel field={field} />
      </label>
      <input
        id={id}
        type="file"
        multiple={field.multiple === true}
        aria-required={field.required === true}
        aria-invalid={error !== undefined}
        aria-describedby={`${id}-note${error ? ` ${id}-problem` : ''}`}
        onChange={(event) => {
          const picked = [...(event.target.files ?? [])];
          event.target.value = '';
          if (picked.length === 0) return;
          onChange(field.multiple ? { kept: value.kept, added: [...value.added, ...picked] } : { kept: [], added: picked.slice(0, 1) });
        }}
      />
      <p className="muted" id={`${id}-note`}>
        {field.multiple ? 'Files picked are added when you save.' : 'A file picked replaces the stored one when you save.'}
      </p>
      {files.length > 0 && (
        <ul className="chosen" aria-label={`${field.name}: files`}>
          {files.map((file) => (
            <li key={file.key}>
              <span>{file.name}</span>
              {file.key.startsWith('new:') && <span className="muted"> (to upload)</span>}
              <Button
                className="react-aria-Button quiet"
                aria-label={`Remove ${file.name} from ${field.name}`}
                onPress={() => remove(file.key)}
              >
                Remove
              </Button>
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p className="field-problem" id={`${id}-problem`}>
          {error}
        </p>
      )}
    </div>
  );
}

function addedEntry(file: File, index: number) {
  return { key: `new:${index}:${file.name}`, name: file.name };
}
