import { useState } from 'react';
import { Button, Dialog, DialogTrigger, Form, Heading, Modal } from 'react-aria-components';
import { send } from '../../api';
import { Choice } from '../../ui/choice';
import { Problem } from '../../ui/status';
import { Flag, TextInput } from './inputs';
import { type CollectionInfo, type Refusal, refusalOf, under } from './schema';

/** PostgreSQL's text search configurations the API accepts for `searchLanguage`. */
const SEARCH_LANGUAGES = [
  'simple',
  'arabic',
  'armenian',
  'basque',
  'catalan',
  'danish',
  'dutch',
  'english',
  'finnish',
  'french',
  'german',
  'greek',
  'hindi',
  'hungarian',
  'indonesian',
  'irish',
  'italian',
  'lithuanian',
  'nepali',
  'norwegian',
  'portuguese',
  'romanian',
  'russian',
  'serbian',
  'spanish',
  'swedish',
  'tamil',
  'turkish',
  'yiddish',
] as const;
const ON_USER_DELETED = [
  { id: 'delete', label: 'Delete their records' },
  { id: 'anonymize', label: 'Keep their records without an owner' },
] as const;

interface Draft {
  description: string;
  softDelete: boolean;
  trashRetentionDays: string;
  onUserDeleted: 'delete' | 'anonymize';
  maxRecordBytes: string;
  searchLanguage: string;
}

/** The API's defaults where the collection's options leave a setting out (docs/data-and-rules.md). */
function draftOf(collection: CollectionInfo): Draft {
  const options = collection.options ?? {};
  return {
    description: collection.description ?? '',
    softDelete: options.softDelete !== false,
    trashRetentionDays: String(options.trashRetentionDays ?? 30),
    onUserDeleted: options.onUserDeleted === 'anonymize' ? 'anonymize' : 'delete',
    maxRecordBytes: String(options.maxRecordBytes ?? 262144),
    searchLanguage: typeof options.searchLanguage === 'string' ? options.searchLanguage : 'simple',
  };
}

/** A whole number typed in a box, or the message that says it is not one. */
function wholeNumber(text: string): number | string {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : 'A whole number.';
}

/**
 * A collection's description and options (trash, retention, what a deleted account leaves,
 * record size, search language), changed in one PATCH at the version on screen; a refusal is
 * shown on the input its path names.
 */
export function CollectionSettings({ collection, onChanged }: { collection: CollectionInfo; onChanged(collection: CollectionInfo): void }) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(collection));
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [local, setLocal] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const problems = { ...under(refusal, 'options'), ...local };
  const set =
    <K extends keyof Draft>(key: K) =>
    (value: Draft[K]) =>
      setDraft((now) => ({ ...now, [key]: value }));

  const save = async (close: () => void) => {
    const retention = wholeNumber(draft.trashRetentionDays);
    const size = wholeNumber(draft.maxRecordBytes);
    const unparsed: Record<string, string> = {};
    if (typeof retention === 'string') unparsed.trashRetentionDays = retention;
    if (typeof size === 'string') unparsed.maxRecordBytes = size;
    setLocal(unparsed);
    setRefusal(null);
    if (Object.keys(unparsed).length > 0) return;
    setBusy(true);
    try {
      const changed = await send<CollectionInfo>('PATCH', `/collections/${encodeURIComponent(collection.name)}`, {
        version: collection.version,
        description: draft.description,
        options: {
          softDelete: draft.softDelete,
          trashRetentionDays: retention,
          onUserDeleted: draft.onUserDeleted,
          maxRecordBytes: size,
          searchLanguage: draft.searchLanguage,
        },
      });
      onChanged(changed);
      close();
    } catch (error) {
      setRefusal(refusalOf(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <DialogTrigger onOpenChange={(open) => open && (setDraft(draftOf(collection)), setRefusal(null), setLocal({}))}>
      <Button className="react-aria-Button quiet">Edit settings</Button>
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
              <Heading slot="title">Settings of {collection.name}</Heading>
              {refusal && (
                <Problem text={[refusal.text, ...Object.entries(refusal.byPath).map(([path, text]) => `${path}: ${text}`)].join(' ')} />
              )}
              <TextInput
                label="Description"
                multiline
                value={draft.description}
                onChange={set('description')}
                problem={refusal?.byPath.description}
              />
              <Flag
                label="Deleting moves records to the trash (softDelete)"
                isSelected={draft.softDelete}
                onChange={set('softDelete')}
                problem={problems.softDelete}
              />
              <TextInput
                label="Days trashed records are kept (trashRetentionDays)"
                value={draft.trashRetentionDays}
                onChange={set('trashRetentionDays')}
                problem={problems.trashRetentionDays}
                hint="0 to 3650; 0 purges them at the next sweep."
              />
              <Choice
                label="When an account is deleted (onUserDeleted)"
                value={draft.onUserDeleted}
                options={ON_USER_DELETED}
                onChange={set('onUserDeleted')}
                problem={problems.onUserDeleted}
              />
              <TextInput
                label="Largest record in bytes (maxRecordBytes)"
                value={draft.maxRecordBytes}
                onChange={set('maxRecordBytes')}
                problem={problems.maxRecordBytes}
                hint="256 to 4194304."
              />
              <Choice
                label="Full-text search language (searchLanguage)"
                value={draft.searchLanguage}
                options={SEARCH_LANGUAGES}
                onChange={set('searchLanguage')}
                problem={problems.searchLanguage}
              />
              <div className="actions">
                <Button className="react-aria-Button quiet" onPress={close}>
                  Cancel
                </Button>
                <Button type="submit" isDisabled={busy}>
                  Save settings
                </Button>
              </div>
            </Form>
          )}
        </Dialog>
      </Modal>
    </DialogTrigger>
  );
}
