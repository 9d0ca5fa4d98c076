import { type FormEvent, useState } from 'react';
import { Button, Checkbox, CheckboxGroup, FieldError, Form, Input, Label, Text, TextField } from 'react-aria-components';
import { ProblemError } from '@backlot/client';
import { describe } from '../../api';

export interface Webhook {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  disabledAt: string | null;
  disabledReason: string | null;
  consecutiveFailures: number;
  createdAt: string;
  updatedAt: string;
  secret?: string;
}

export interface WebhookInput {
  url: string;
  description: string;
  events: string[];
}

/** The section's addresses (built here, not from sections.ts, which imports this page). */
export const WEBHOOKS_PATH = '/_/webhooks';
export const webhookPath = (id: string) => `${WEBHOOKS_PATH}/${encodeURIComponent(id)}`;

const ACTIONS = ['created', 'updated', 'deleted'] as const;
const ACCOUNT_EVENTS = ['user.created', 'user.deleted'] as const;

/** A webhook's events as the form shows them: collections × record actions, plus account events. */
export function splitEvents(events: string[]): { collections: string; actions: string[]; account: string[] } {
  if (events.includes('*')) return { collections: '*', actions: [...ACTIONS], account: [...ACCOUNT_EVENTS] };
  const collections = new Set<string>();
  const actions = new Set<string>();
  const account = new Set<string>();
  for (const event of events) {
    if ((ACCOUNT_EVENTS as readonly string[]).includes(event)) account.add(event);
    else {
      const dot = event.lastIndexOf('.');
      collections.add(event.slice(0, dot));
      const action = event.slice(dot + 1);
      for (const each of action === '*' ? ACTIONS : [action]) actions.add(each);
    }
  }
  return { collections: [...collections].join(', '), actions: [...actions], account: [...account] };
}

/** The API's event patterns for the form's choices: `<collection>.<action>`, `*` for either part, or `*` for all. */
export function joinEvents(collectionsText: string, actions: string[], account: string[]): string[] {
  const collections = collectionsText
    .split(/[\s,]+/)
    .map((name) => name.trim())
    .filter(Boolean);
  const allActions = ACTIONS.every((action) => actions.includes(action));
  if (collections.includes('*') && allActions && account.length === ACCOUNT_EVENTS.length) return ['*'];
  const records =
    actions.length === 0 ? [] : collections.flatMap((name) => (allActions ? [`${name}.*`] : actions.map((a) => `${name}.${a}`)));
  return [...records, ...account];
}

type FieldErrors = Record<string, string>;

/** A refusal's messages beside the fields they are about (url, description, events); the rest in words. */
function sortOut(error: unknown): { fields: FieldErrors; general: string | null } {
  if (!(error instanceof ProblemError)) return { fields: {}, general: describe(error) };
  const fields: FieldErrors = {};
  const other: string[] = [];
  for (const problem of error.errors) {
    const field = problem.path.split('.')[0];
    if (field === 'url' || field === 'description') fields[field] = problem.message;
    else if (field === 'events') fields.collections = problem.message;
    else other.push(`${problem.path}: ${problem.message}`);
  }
  return { fields, general: error.errors.length === 0 ? error.detail : other.join(' ') || null };
}

/** Create or edit a webhook: its URL, description and events. */
export function WebhookForm({
  initial,
  submitLabel,
  onSubmit,
}: {
  initial?: Webhook;
  submitLabel: string;
  onSubmit(input: WebhookInput): Promise<unknown>;
}) {
  const start = splitEvents(initial?.events ?? ['*.created', '*.updated', '*.deleted']);
  const [collections, setCollections] = useState(start.collections);
  const [actions, setActions] = useState(start.actions);
  const [account, setAccount] = useState(start.account);
  const [fields, setFields] = useState<FieldErrors>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const events = joinEvents(collections, actions, account);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const element = event.currentTarget;
    const form = new FormData(element);
    setFields({});
    setProblem(null);
    if (events.length === 0) return setProblem('Choose at least one event: a collection and an action, or an account event.');
    setBusy(true);
    try {
      await onSubmit({ url: String(form.get('url')), description: String(form.get('description')), events });
      if (!initial) element.reset();
    } catch (error) {
      const sorted = sortOut(error);
      setFields(sorted.fields);
      setProblem(sorted.general);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Form className="react-aria-Form stacked-form" validationErrors={fields} onSubmit={(event) => void submit(event)}>
      <TextField name="url" type="url" isRequired defaultValue={initial?.url} maxLength={2048}>
        <Label>URL</Label>
        <Input />
        <Text slot="description" className="hint">
          http or https. Private and loopback addresses are refused unless WEBHOOK_ALLOWED_HOSTS lists them.
        </Text>
        <FieldError />
      </TextField>
      <TextField name="description" defaultValue={initial?.description ?? ''} maxLength={500}>
        <Label>Description</Label>
        <Input />
        <FieldError />
      </TextField>
      <TextField name="collections" value={collections} onChange={setCollections}>
        <Label>Collections</Label>
        <Input />
        <Text slot="description" className="hint">
          Names separated by commas; * for every collection.
        </Text>
        <FieldError />
      </TextField>
      <CheckboxGroup value={actions} onChange={setActions}>
        <Label>Record events</Label>
        {ACTIONS.map((action) => (
          <Checkbox key={action} value={action}>
            <span className="box" aria-hidden="true" />
            {action}
          </Checkbox>
        ))}
      </CheckboxGroup>
      <CheckboxGroup value={account} onChange={setAccount}>
        <Label>Account events</Label>
        {ACCOUNT_EVENTS.map((name) => (
          <Checkbox key={name} value={name}>
            <span className="box" aria-hidden="true" />
            {name}
          </Checkbox>
        ))}
      </CheckboxGroup>
      <p className="hint">
        Sends: <code>{events.join(' ') || '(nothing)'}</code>
      </p>
      {problem && (
        <p role="alert" className="problem">
          {problem}
        </p>
      )}
      <Button type="submit" isDisabled={busy}>
        {submitLabel}
      </Button>
    </Form>
  );
}

/** A secret shown once, with a button that copies it. */
export function OnceSecret({ secret, label }: { secret: string; label: string }) {
  const [copied, setCopied] = useState<string | null>(null);
  return (
    <div role="status" className="result">
      <p>{label} It is shown only now: store it where the receiver can check signatures with it.</p>
      <div className="secret">
        <code>{secret}</code>
        <Button
          className="react-aria-Button quiet"
          onPress={() =>
            void navigator.clipboard.writeText(secret).then(
              () => setCopied('Copied.'),
              () => setCopied('Copying failed: select the secret and copy it by hand.'),
            )
          }
        >
          Copy the secret
        </Button>
        <span aria-live="polite">{copied}</span>
      </div>
    </div>
  );
}
