import { useState } from 'react';
import { Button, Dialog, DialogTrigger, Form, Heading, Modal } from 'react-aria-components';
import { send } from '../../api';
import { Problem } from '../../ui/status';
import { Choice } from '../../ui/choice';
import { Flag, TextInput } from './inputs';
import { RuleInput, ruleDraft, type RuleDraft, ruleOf } from './rule-input';
import { type CollectionInfo, FIELD_TYPES, type FieldType, type Refusal, refusalOf, RULE_ACTIONS, type RuleAction, under } from './schema';

interface NewField {
  key: number;
  name: string;
  type: FieldType;
  required: boolean;
}

let keys = 0;
const newField = (): NewField => ({ key: ++keys, name: '', type: 'text', required: false });
const noRules = () => Object.fromEntries(RULE_ACTIONS.map((action) => [action, ruleDraft(null)])) as Record<RuleAction, RuleDraft>;

/** "New collection": its name, description, first fields and rules; every option of a field is on the collection's page after. */
export function CreateCollection({ onCreated }: { onCreated(collection: CollectionInfo): void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [fields, setFields] = useState<NewField[]>(() => [newField()]);
  const [rules, setRules] = useState(noRules);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [busy, setBusy] = useState(false);
  const reset = () => (setName(''), setDescription(''), setFields([newField()]), setRules(noRules()), setRefusal(null));
  const sent = Object.fromEntries(RULE_ACTIONS.map((action) => [action, ruleOf(rules[action])]));
  const incomplete = RULE_ACTIONS.some((action) => sent[action] === undefined);
  const change = (key: number, part: Partial<NewField>) =>
    setFields((now) => now.map((field) => (field.key === key ? { ...field, ...part } : field)));

  const create = async (close: () => void) => {
    setBusy(true);
    setRefusal(null);
    try {
      const created = await send<CollectionInfo>('POST', '/collections', {
        name: name.trim(),
        description,
        fields: fields.map((field) => ({ name: field.name.trim(), type: field.type, ...(field.required && { required: true }) })),
        rules: sent,
      });
      close();
      onCreated(created);
    } catch (error) {
      setRefusal(refusalOf(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <DialogTrigger onOpenChange={(open) => open && reset()}>
      <Button>New collection</Button>
      <Modal className="react-aria-Modal schema-modal wide" isDismissable>
        <Dialog className="react-aria-Dialog schema">
          {({ close }) => (
            <Form
              onSubmit={(event) => {
                event.preventDefault();
                void create(close);
              }}
              validationBehavior="aria"
            >
              <Heading slot="title">New collection</Heading>
              {refusal && <Problem text={refusal.text} />}
              <TextInput
                label="Name"
                value={name}
                onChange={setName}
                problem={refusal?.byPath.name}
                autoFocus
                isRequired
                hint="lower-case letters, digits and _"
              />
              <TextInput label="Description" value={description} onChange={setDescription} problem={refusal?.byPath.description} />
              <fieldset>
                <legend>Fields</legend>
                {refusal?.byPath.fields && <p className="problem">{refusal.byPath.fields}</p>}
                {fields.map((field, index) => {
                  const problems = under(refusal, `fields.${index}`);
                  const other = Object.entries(problems).filter(([key]) => !['name', 'type', 'required'].includes(key));
                  return (
                    <div key={field.key} className="new-field">
                      <TextInput
                        label={`Field ${index + 1} name`}
                        value={field.name}
                        onChange={(value) => change(field.key, { name: value })}
                        problem={problems.name}
                      />
                      <Choice
                        label={`Field ${index + 1} type`}
                        value={field.type}
                        options={FIELD_TYPES}
                        onChange={(type) => change(field.key, { type })}
                        problem={problems.type}
                      />
                      <Flag
                        label="Required"
                        isSelected={field.required}
                        onChange={(required) => change(field.key, { required })}
                        problem={problems.required}
                      />
                      <Button
                        className="react-aria-Button quiet"
                        aria-label={`Remove field ${index + 1}`}
                        onPress={() => setFields((now) => now.filter((otherField) => otherField.key !== field.key))}
                      >
                        Remove
                      </Button>
                      {other.length > 0 && (
                        <p className="problem whole">{other.map(([key, message]) => `${key || 'field'}: ${message}`).join(' ')}</p>
                      )}
                    </div>
                  );
                })}
                <Button className="react-aria-Button quiet" onPress={() => setFields((now) => [...now, newField()])}>
                  Add a field
                </Button>
                <p className="hint">Select values, relations, files and other options are set on the collection&apos;s page.</p>
              </fieldset>
              <fieldset>
                <legend>Rules</legend>
                {RULE_ACTIONS.map((action) => (
                  <RuleInput
                    key={action}
                    action={action}
                    draft={rules[action]}
                    onChange={(draft) => setRules((now) => ({ ...now, [action]: draft }))}
                    problem={refusal?.byPath[`rules.${action}`]}
                    position={refusal?.positions[`rules.${action}`]}
                  />
                ))}
              </fieldset>
              <div className="actions">
                <Button className="react-aria-Button quiet" onPress={close}>
                  Cancel
                </Button>
                <Button type="submit" isDisabled={busy || incomplete}>
                  Create
                </Button>
              </div>
            </Form>
          )}
        </Dialog>
      </Modal>
    </DialogTrigger>
  );
}
