import { useState } from 'react';
import { Button, Dialog, DialogTrigger, Form, Heading, Modal } from 'react-aria-components';
import { Problem } from '../../ui/status';
import { draftOf, type FieldDraft, fieldOf } from './field-draft';
import { Choice } from '../../ui/choice';
import { Flag, TextInput } from './inputs';
import { FIELD_TYPES, type FieldDefinition, optionsOf, type Refusal, refusalOf, under } from './schema';

interface FieldDialogProps {
  /** The button that opens it. */
  label: string;
  /** Its accessible name when the label is not enough ("Edit" → "Edit title"). */
  ariaLabel?: string;
  quiet?: boolean;
  /** The field being changed; none for a new one. */
  field?: FieldDefinition;
  /** Where the field sits in the list the change sends: the server's `fields.<index>.…` paths name it. */
  index: number;
  /** Collections a relation may point at. */
  collections: string[];
  /** Sends the change; a refusal stays in the dialog, on the option it names. */
  onSave(field: FieldDefinition): Promise<unknown>;
}

/** Adding or changing one field, every option its type takes; what the server refuses is shown on its input. */
export function FieldDialog({ label, ariaLabel, quiet, field, index, collections, onSave }: FieldDialogProps) {
  const [draft, setDraft] = useState<FieldDraft>(() => draftOf(field));
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [local, setLocal] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const problems = { ...under(refusal, `fields.${index}`), ...local };
  const set =
    <K extends keyof FieldDraft>(key: K) =>
    (value: FieldDraft[K]) =>
      setDraft((now) => ({ ...now, [key]: value }));
  const text = (key: keyof FieldDraft) => ({
    value: draft[key] as string,
    onChange: set(key) as (value: string) => void,
    problem: problems[key],
  });
  const flag = (key: keyof FieldDraft) => ({
    isSelected: draft[key] as boolean,
    onChange: set(key) as (value: boolean) => void,
    problem: problems[key],
  });
  const applies = optionsOf(draft.type, draft.multiple);
  const shown = new Set(Object.keys(problems));
  // Messages whose path names no input here (another field, the list as a whole) are said at the top.
  const elsewhere = refusal
    ? Object.entries(refusal.byPath)
        .filter(([path]) => !path.startsWith(`fields.${index}.`) || !shown.has(path.slice(`fields.${index}.`.length)))
        .map(([path, message]) => `${path}: ${message}`)
    : [];

  const save = async (close: () => void) => {
    const { field: definition, problems: unparsed } = fieldOf(draft);
    setLocal(unparsed);
    setRefusal(null);
    if (Object.keys(unparsed).length > 0) return;
    setBusy(true);
    try {
      await onSave(field && field.name !== definition.name ? { ...definition, from: field.name } : definition);
      close();
    } catch (error) {
      setRefusal(refusalOf(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <DialogTrigger onOpenChange={(open) => open && (setDraft(draftOf(field)), setRefusal(null), setLocal({}))}>
      <Button className={quiet ? 'react-aria-Button quiet' : 'react-aria-Button'} aria-label={ariaLabel}>
        {label}
      </Button>
      <Modal className="react-aria-Modal schema-modal" isDismissable>
        <Dialog className="react-aria-Dialog schema">
          {({ close }) => (
            <Form
              onSubmit={(event) => {
                event.preventDefault();
                void save(close);
              }}
              validationBehavior="aria"
            >
              <Heading slot="title">{field ? `Field ${field.name}` : 'New field'}</Heading>
              {refusal?.conflict && (
                <p role="alert" className="problem conflict">
                  Refused: {refusal.text}
                  {refusal.conflict.field !== undefined && (
                    <>
                      {' '}
                      Field <code>{refusal.conflict.field}</code>
                    </>
                  )}
                  {refusal.conflict.records !== undefined && <>, {refusal.conflict.records} record(s) in the way.</>}
                </p>
              )}
              {refusal && !refusal.conflict && <Problem text={[refusal.text, ...elsewhere].join(' ')} />}
              <div className="grid-2">
                <TextInput label="Name" {...text('name')} autoFocus isRequired hint="lower-case letters, digits and _" />
                <Choice label="Type" value={draft.type} options={FIELD_TYPES} onChange={set('type')} problem={problems.type} />
              </div>
              {applies.bounds && (
                <div className="grid-2">
                  <TextInput label={draft.type === 'datetime' ? 'Earliest (min, ISO date)' : 'Minimum (min)'} {...text('min')} />
                  <TextInput label={draft.type === 'datetime' ? 'Latest (max, ISO date)' : 'Maximum (max)'} {...text('max')} />
                </div>
              )}
              {applies.lengths && (
                <div className="grid-2">
                  <TextInput label="Shortest length (minLength)" {...text('minLength')} />
                  <TextInput label="Longest length (maxLength)" {...text('maxLength')} />
                </div>
              )}
              {applies.pattern && <TextInput label="Pattern (regular expression)" {...text('pattern')} />}
              {applies.values && <TextInput label="Values (one per line)" multiline {...text('values')} />}
              {applies.relation && (
                <div className="grid-2">
                  <Choice
                    label="Target collection"
                    value={draft.collection || null}
                    options={collections}
                    onChange={set('collection')}
                    problem={problems.collection}
                  />
                  <Choice
                    label="When the target is deleted"
                    value={draft.onDelete}
                    options={[
                      { id: 'setNull', label: 'clear the reference (setNull)' },
                      { id: 'cascade', label: 'delete this record too (cascade)' },
                      { id: 'restrict', label: 'refuse the delete (restrict)' },
                    ]}
                    onChange={set('onDelete')}
                    problem={problems.onDelete}
                  />
                </div>
              )}
              {applies.file && (
                <>
                  <div className="grid-2">
                    <TextInput label="Largest file (maxSize, bytes)" {...text('maxSize')} />
                    {draft.multiple && <TextInput label="Most files (maxFiles)" {...text('maxFiles')} />}
                  </div>
                  <TextInput label="Media types (mimeTypes)" hint="comma-separated, e.g. image/*, application/pdf" {...text('mimeTypes')} />
                  <TextInput label="Thumbnail sizes (thumbs)" hint="comma-separated WxH, e.g. 100x100, 480x0" {...text('thumbs')} />
                </>
              )}
              {applies.defaultable && (
                <TextInput
                  label="Default"
                  hint={draft.type === 'json' ? 'JSON' : draft.multiple ? 'comma-separated' : 'used when a record leaves the field out'}
                  {...text('default')}
                />
              )}
              <div className="flags" role="group" aria-label="Options">
                <Flag label="Required" {...flag('required')} />
                <Flag label="Hidden (never returned)" {...flag('hidden')} />
                {applies.multiple && <Flag label="Multiple values" {...flag('multiple')} />}
                {applies.indexable && <Flag label="Unique" {...flag('unique')} />}
                {applies.indexable && <Flag label="Indexed" {...flag('indexed')} />}
                {applies.searchable && <Flag label="Searchable (full-text)" {...flag('searchable')} />}
                {applies.encrypted && <Flag label="Encrypted" {...flag('encrypted')} />}
                {applies.file && <Flag label="Protected downloads" {...flag('protected')} />}
              </div>
              <div className="actions">
                <Button className="react-aria-Button quiet" onPress={close}>
                  Cancel
                </Button>
                <Button type="submit" isDisabled={busy}>
                  {field ? 'Save field' : 'Add field'}
                </Button>
              </div>
            </Form>
          )}
        </Dialog>
      </Modal>
    </DialogTrigger>
  );
}
