import { field as fieldName, filter } from '@backlot/client';
import { useEffect, useState } from 'react';
import { Button, ComboBox, FieldError, Input, Label, ListBox, ListBoxItem, Popover, Text } from 'react-aria-components';
import { client, get } from '../../api';
import { Problem } from '../../ui/status';
import { useLoad } from '../../ui/use-load';
import { FieldLabel, type FieldInputProps } from './field-input-label';
import type { Schema, StoredRecord } from './record-form-values';

interface Option {
  id: string;
  label: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LABEL_TYPES = new Set(['text', 'email', 'url']);

/**
 * A relation: a combo box searching the related collection's records (its searchable fields, or
 * its first text field; an id typed whole finds that record), and the records chosen, each
 * removable. A single relation's pick replaces the one before.
 */
export function RelationInput({ field, value, onChange, error }: FieldInputProps) {
  const target = field.collection ?? '';
  const chosen = field.multiple ? (Array.isArray(value) ? value : []) : typeof value === 'string' ? [value] : [];
  const [text, setText] = useState('');
  // A pick starts a fresh combo box (closed, empty, focused again): a controlled one stays open on its last search.
  const [picks, setPicks] = useState(0);
  const [options, setOptions] = useState<Option[]>([]);
  const [labels, setLabels] = useState<Record<string, string>>({});
  const schema = useLoad((signal) => get<Schema>(`/collections/${encodeURIComponent(target)}`, undefined, signal), [target]);

  useEffect(() => {
    if (!schema.data) return;
    const found = schema.data;
    const abort = new AbortController();
    const timer = setTimeout(() => {
      search(found, text, abort.signal).then(
        (records) => setOptions(records.map((record) => ({ id: record.id, label: labelOf(found, record) }))),
        () => !abort.signal.aborted && setOptions([]),
      );
    }, 200);
    return () => (clearTimeout(timer), abort.abort());
  }, [schema.data, text]);

  const unlabelled = chosen.filter((id) => labels[id] === undefined).join(',');
  useEffect(() => {
    if (!schema.data || !unlabelled) return;
    const found = schema.data;
    for (const id of unlabelled.split(','))
      client
        .collection(target)
        .get(id)
        .then(
          (record) => setLabels((now) => ({ ...now, [id]: labelOf(found, record as StoredRecord) })),
          () => setLabels((now) => ({ ...now, [id]: id })),
        );
  }, [schema.data, unlabelled, target]);

  const pick = (id: string) => {
    const option = options.find((candidate) => candidate.id === id);
    if (option) setLabels((now) => ({ ...now, [id]: option.label }));
    onChange(field.multiple ? [...chosen.filter((other) => other !== id), id] : id);
    setText('');
    setPicks((n) => n + 1);
  };
  const remove = (id: string) => onChange(field.multiple ? chosen.filter((other) => other !== id) : null);

  return (
    <div className="field relation">
      <ComboBox
        key={picks}
        name={field.name}
        isRequired={field.required === true}
        isInvalid={error !== undefined}
        inputValue={text}
        onInputChange={setText}
        selectedKey={null}
        onSelectionChange={(key) => key !== null && pick(String(key))}
        items={options}
        menuTrigger="input"
        allowsEmptyCollection
        className="react-aria-ComboBox"
      >
        <Label>
          <FieldLabel field={field} />
        </Label>
        <div className="combo">
          <Input autoFocus={picks > 0} />
          <Button aria-label={`Show records of ${target}`}>▾</Button>
        </div>
        <Text slot="description">
          Search the records of {target} and pick one{field.multiple ? ' to add it' : ''}.
        </Text>
        <FieldError className="react-aria-FieldError field-problem">{error}</FieldError>
        <Popover className="react-aria-Popover record-popover">
          <ListBox<Option> renderEmptyState={() => <p className="empty">No matching records.</p>}>
            {(option) => (
              <ListBoxItem id={option.id} textValue={option.label}>
                <Text slot="label">{option.label}</Text>
                <Text slot="description" className="muted">
                  {option.id}
                </Text>
              </ListBoxItem>
            )}
          </ListBox>
        </Popover>
      </ComboBox>
      <Problem text={schema.problem && `The records of ${target} cannot be searched: ${schema.problem}`} />
      {chosen.length > 0 && (
        <ul className="chosen" aria-label={`${field.name}: chosen`}>
          {chosen.map((id) => (
            <li key={id}>
              <span>{labels[id] ?? id}</span>
              <Button
                className="react-aria-Button quiet"
                aria-label={`Remove ${labels[id] ?? id} from ${field.name}`}
                onPress={() => remove(id)}
              >
                Remove
              </Button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The field that names a record to a person: the first visible text-like field, if any. */
function labelField(schema: Schema): string | undefined {
  return schema.fields.find((field) => !field.hidden && LABEL_TYPES.has(field.type))?.name;
}

function labelOf(schema: Schema, record: StoredRecord): string {
  const name = labelField(schema);
  const value = name ? record[name] : undefined;
  return typeof value === 'string' && value ? value : record.id;
}

async function search(schema: Schema, text: string, signal: AbortSignal): Promise<StoredRecord[]> {
  const records = client.collection(schema.name);
  const typed = text.trim();
  const label = labelField(schema);
  const options = { limit: 10, signal };
  if (!typed) return (await records.list(options)).items as StoredRecord[];
  if (UUID.test(typed)) return (await records.list({ ...options, filter: filter`id = ${typed}` })).items as StoredRecord[];
  if (schema.fields.some((field) => field.searchable)) return (await records.list({ ...options, q: typed })).items as StoredRecord[];
  if (label) return (await records.list({ ...options, filter: filter`${fieldName(label)} ~ ${typed}` })).items as StoredRecord[];
  return [];
}
