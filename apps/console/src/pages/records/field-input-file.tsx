import { useId, useState } from 'react';
import type { StoredFile } from '@backlot/client';
import { client, describe } from '../../api';
import { Problem } from '../../ui/status';
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
  const files = [
    ...value.kept.map((file) => ({ key: `kept:${file.name}`, name: file.original, stored: file as StoredFile | undefined })),
    ...value.added.map(addedEntry),
  ];
  const [problem, setProblem] = useState<string | null>(null);
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
              {file.stored && (
                <Button
                  className="react-aria-Button quiet"
                  aria-label={`Download ${file.name}`}
                  onPress={() => {
                    setProblem(null);
                    download(file.stored!).catch((failure: unknown) => setProblem(describe(failure)));
                  }}
                >
                  Download
                </Button>
              )}
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
      <Problem text={problem} />
      {error && (
        <p className="field-problem" id={`${id}-problem`}>
          {error}
        </p>
      )}
    </div>
  );
}

function addedEntry(file: File, index: number) {
  return { key: `new:${index}:${file.name}`, name: file.name, stored: undefined };
}

/**
 * Saves a stored file. A link cannot carry the session's bearer token, so the file's URL gets a
 * file token for that one file (minutes long, bound to this session; docs/files.md), which
 * works for protected files too. The file's URL (`/api/v1/files/<collection>/<record>/<name>`)
 * names its record.
 */
async function download(file: StoredFile): Promise<void> {
  const [, collection, record] = /\/files\/([^/]+)\/([^/]+)\/[^/]+$/.exec(new URL(file.url, window.location.origin).pathname) ?? [];
  if (!collection || !record) throw new Error(`${file.original} has no download address.`);
  const token = await client.files.token({
    collection: decodeURIComponent(collection),
    record: decodeURIComponent(record),
    name: file.name,
  });
  const link = document.createElement('a');
  link.href = client.files.url(file, { token });
  link.download = file.original;
  link.click();
}
