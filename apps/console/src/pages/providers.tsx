import { type FormEvent, useState } from 'react';
import {
  Button,
  Cell,
  Checkbox,
  Column,
  FieldError,
  Form,
  Input,
  Label,
  ListBox,
  ListBoxItem,
  Popover,
  Row,
  Select,
  SelectValue,
  Table,
  TableBody,
  TableHeader,
  Text,
  TextArea,
  TextField,
} from 'react-aria-components';
import { ProblemError } from '@backlot/client';
import { describe, get, send } from '../api';
import type { PageProps } from '../sections';
import { ConfirmButton } from '../ui/confirm';
import { Loading, Problem } from '../ui/status';
import { useLoad } from '../ui/use-load';
import './admin.css';

const PRESETS = ['oidc', 'google', 'microsoft', 'apple', 'gitlab', 'github', 'discord'] as const;

interface Provider {
  name: string;
  preset: (typeof PRESETS)[number];
  displayName: string;
  issuer: string | null;
  clientId: string;
  hasClientSecret: boolean;
  scopes: string;
  enabled: boolean;
  teamId?: string | null;
  keyId?: string | null;
  source: 'env' | 'admin';
  callbackPath: string;
}

type FieldErrors = Record<string, string>;

function sortOut(error: unknown, known: string[]): { fields: FieldErrors; general: string | null } {
  if (!(error instanceof ProblemError)) return { fields: {}, general: describe(error) };
  const fields: FieldErrors = {};
  const other: string[] = [];
  for (const problem of error.errors) {
    const field = problem.path.split('.')[0];
    if (known.includes(field)) fields[field] = problem.message;
    else other.push(`${problem.path}: ${problem.message}`);
  }
  if (error.status === 409 && known.includes('name') && error.errors.length === 0) fields.name = error.detail;
  return { fields, general: Object.keys(fields).length > 0 && error.errors.length === 0 ? null : other.join(' ') || error.detail };
}

/** `/_/providers`: the sign-in providers (add, change, enable or disable, remove) and the pages sign-ins may return to. */
export function ProvidersPage(_props: PageProps) {
  const providers = useLoad((signal) => get<Provider[]>('/admin/sign-in/providers', undefined, signal), []);
  const [editing, setEditing] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const toggle = (provider: Provider) => {
    setProblem(null);
    send('PATCH', `/admin/sign-in/providers/${encodeURIComponent(provider.name)}`, { enabled: !provider.enabled }).then(
      providers.reload,
      (error: unknown) => setProblem(describe(error)),
    );
  };
  const chosen = providers.data?.find((provider) => provider.name === editing);

  return (
    <section aria-labelledby="providers-title" className="admin-page">
      <h1 id="providers-title">Sign-in providers</h1>
      <p className="hint">
        Sign-in with Google, GitHub, Microsoft, Apple, GitLab, Discord or any OpenID Connect provider. Providers set by AUTH_PROVIDERS are
        read-only here. Client secrets are stored sealed and never shown again.
      </p>
      <h2 id="provider-list-title">Providers</h2>
      <Problem text={providers.problem ?? problem} />
      {!providers.data ? (
        providers.loading && <Loading what="providers" />
      ) : providers.data.length === 0 ? (
        <p>No sign-in providers yet.</p>
      ) : (
        <Table aria-labelledby="provider-list-title">
          <TableHeader>
            <Column isRowHeader>Name</Column>
            <Column>Kind</Column>
            <Column>Client id</Column>
            <Column>Client secret</Column>
            <Column>State</Column>
            <Column>Redirect URI to register</Column>
            <Column>Actions</Column>
          </TableHeader>
          <TableBody items={providers.data.map((provider) => ({ ...provider, id: provider.name }))}>
            {(provider) => (
              <Row>
                <Cell>
                  {provider.displayName} (<code>{provider.name}</code>)
                </Cell>
                <Cell>
                  {provider.preset}
                  {provider.source === 'env' ? ', from the environment' : ''}
                </Cell>
                <Cell>
                  <code>{provider.clientId}</code>
                </Cell>
                <Cell>{provider.hasClientSecret ? 'set (hidden)' : 'none'}</Cell>
                <Cell>{provider.enabled ? 'enabled' : 'disabled'}</Cell>
                <Cell>
                  <code>{provider.callbackPath}</code>
                </Cell>
                <Cell>
                  {provider.source === 'admin' && (
                    <div className="row-actions">
                      <Button
                        className="react-aria-Button quiet"
                        onPress={() => setEditing(provider.name)}
                        aria-label={`Edit ${provider.name}`}
                      >
                        Edit
                      </Button>
                      <Button
                        className="react-aria-Button quiet"
                        onPress={() => toggle(provider)}
                        aria-label={`${provider.enabled ? 'Disable' : 'Enable'} ${provider.name}`}
                      >
                        {provider.enabled ? 'Disable' : 'Enable'}
                      </Button>
                      <ConfirmButton
                        label="Remove"
                        title={`Remove the provider ${provider.name}?`}
                        onConfirm={() =>
                          send('DELETE', `/admin/sign-in/providers/${encodeURIComponent(provider.name)}`).then(providers.reload)
                        }
                      >
                        <p>
                          People can no longer sign in with it. Their linked identities are kept: adding it back under the same name signs
                          them in again.
                        </p>
                      </ConfirmButton>
                    </div>
                  )}
                </Cell>
              </Row>
            )}
          </TableBody>
        </Table>
      )}
      {chosen ? (
        <>
          <h2>Edit {chosen.name}</h2>
          <ProviderForm
            key={chosen.name}
            initial={chosen}
            onDone={() => {
              setEditing(null);
              providers.reload();
            }}
            onCancel={() => setEditing(null)}
          />
        </>
      ) : (
        <>
          <h2>Add a provider</h2>
          <ProviderForm onDone={providers.reload} />
        </>
      )}
      <RedirectUrls />
    </section>
  );
}

const FIELDS = ['name', 'preset', 'displayName', 'issuer', 'clientId', 'clientSecret', 'scopes', 'teamId', 'keyId'];

/** Add a provider, or change one: the secret is write-only (empty keeps the stored one). */
function ProviderForm({ initial, onDone, onCancel }: { initial?: Provider; onDone(): void; onCancel?(): void }) {
  const [preset, setPreset] = useState<string>(initial?.preset ?? 'github');
  const [enabled, setEnabled] = useState(initial?.enabled ?? true);
  const [removeSecret, setRemoveSecret] = useState(false);
  const [fields, setFields] = useState<FieldErrors>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const element = event.currentTarget;
    const form = new FormData(element);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    const optional = (name: string) => text(name) || undefined;
    const body: Record<string, unknown> = {
      displayName: optional('displayName'),
      issuer: optional('issuer'),
      clientId: text('clientId'),
      scopes: optional('scopes'),
      enabled,
      ...(preset === 'apple' && { teamId: optional('teamId'), keyId: optional('keyId') }),
    };
    const secret = String(form.get('clientSecret') ?? '');
    if (secret) body.clientSecret = secret;
    else if (removeSecret) body.clientSecret = null;
    setBusy(true);
    setFields({});
    setProblem(null);
    try {
      if (initial) await send('PATCH', `/admin/sign-in/providers/${encodeURIComponent(initial.name)}`, body);
      else {
        await send('POST', '/admin/sign-in/providers', { ...body, name: text('name'), preset });
        element.reset();
      }
      onDone();
    } catch (error) {
      const sorted = sortOut(error, FIELDS);
      setFields(sorted.fields);
      setProblem(sorted.general);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Form
      className="react-aria-Form stacked-form"
      validationErrors={fields}
      onSubmit={(event) => void submit(event)}
      aria-label={initial ? `Edit ${initial.name}` : 'Add a provider'}
    >
      {!initial && (
        <>
          <TextField name="name" isRequired maxLength={40}>
            <Label>Name</Label>
            <Input />
            <Text slot="description" className="hint">
              Part of its addresses (lowercase letters, digits, dashes); cannot change later.
            </Text>
            <FieldError />
          </TextField>
          <Select name="preset" selectedKey={preset} onSelectionChange={(key) => setPreset(String(key))}>
            <Label>Kind</Label>
            <Button>
              <SelectValue />
            </Button>
            <FieldError />
            <Popover>
              <ListBox>
                {PRESETS.map((name) => (
                  <ListBoxItem key={name} id={name}>
                    {name === 'oidc' ? 'OpenID Connect' : name}
                  </ListBoxItem>
                ))}
              </ListBox>
            </Popover>
          </Select>
        </>
      )}
      <TextField name="displayName" defaultValue={initial?.displayName} maxLength={80}>
        <Label>Display name</Label>
        <Input />
        <FieldError />
      </TextField>
      {(preset === 'oidc' || preset === 'microsoft' || preset === 'google' || preset === 'gitlab') && (
        <TextField name="issuer" type="url" defaultValue={initial?.issuer ?? ''} isRequired={preset === 'oidc' || preset === 'microsoft'}>
          <Label>Issuer</Label>
          <Input />
          <FieldError />
        </TextField>
      )}
      <TextField name="clientId" isRequired defaultValue={initial?.clientId} maxLength={500}>
        <Label>Client id</Label>
        <Input />
        <FieldError />
      </TextField>
      <TextField name="clientSecret" type={preset === 'apple' ? 'text' : 'password'} autoComplete="off">
        <Label>{preset === 'apple' ? 'Private key (.p8, PEM)' : 'Client secret'}</Label>
        {preset === 'apple' ? <TextArea /> : <Input />}
        <Text slot="description" className="hint">
          {initial?.hasClientSecret ? 'A secret is set; it is never shown. Leave empty to keep it.' : 'Stored sealed; never shown again.'}
        </Text>
        <FieldError />
      </TextField>
      {initial?.hasClientSecret && (
        <Checkbox isSelected={removeSecret} onChange={setRemoveSecret}>
          <span className="box" aria-hidden="true" />
          Remove the stored secret
        </Checkbox>
      )}
      {preset === 'apple' && (
        <>
          <TextField name="teamId" defaultValue={initial?.teamId ?? ''}>
            <Label>Team id</Label>
            <Input />
            <FieldError />
          </TextField>
          <TextField name="keyId" defaultValue={initial?.keyId ?? ''}>
            <Label>Key id</Label>
            <Input />
            <FieldError />
          </TextField>
        </>
      )}
      <TextField name="scopes" defaultValue={initial?.scopes}>
        <Label>Scopes</Label>
        <Input />
        <Text slot="description" className="hint">
          Space-separated; empty for the kind&apos;s defaults.
        </Text>
        <FieldError />
      </TextField>
      <Checkbox isSelected={enabled} onChange={setEnabled}>
        <span className="box" aria-hidden="true" />
        Enabled
      </Checkbox>
      <Problem text={problem} />
      <div className="actions">
        {onCancel && (
          <Button className="react-aria-Button quiet" onPress={onCancel}>
            Cancel
          </Button>
        )}
        <Button type="submit" isDisabled={busy}>
          {initial ? 'Save' : 'Add the provider'}
        </Button>
      </div>
    </Form>
  );
}

/** The pages a provider sign-in may return to: the environment's (read-only) and the list kept here. */
function RedirectUrls() {
  const urls = useLoad((signal) => get<{ fromEnv: string[]; urls: string[] }>('/admin/sign-in/redirect-urls', undefined, signal), []);
  const [problem, setProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const list = String(new FormData(event.currentTarget).get('urls') ?? '')
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    setBusy(true);
    setProblem(null);
    setSaved(null);
    try {
      await send('PUT', '/admin/sign-in/redirect-urls', { urls: list });
      setSaved('Saved the return pages.');
      urls.reload();
    } catch (error) {
      if (error instanceof ProblemError && error.errors.length > 0)
        setProblem(
          error.errors
            .map(
              (each) =>
                `Line ${Number(each.path.split('.')[1] ?? 0) + 1} (${list[Number(each.path.split('.')[1])] ?? ''}): ${each.message}`,
            )
            .join(' '),
        );
      else setProblem(describe(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <h2 id="redirects-title">Return pages</h2>
      <p className="hint">The pages of your apps that a provider sign-in may return to (exact URLs, no fragment).</p>
      {urls.problem && <Problem text={urls.problem} />}
      {urls.data && (
        <>
          {urls.data.fromEnv.length > 0 && (
            <>
              <p>From OAUTH_REDIRECT_URLS (read-only here):</p>
              <ul>
                {urls.data.fromEnv.map((url) => (
                  <li key={url}>
                    <code>{url}</code>
                  </li>
                ))}
              </ul>
            </>
          )}
          <Form className="react-aria-Form stacked-form" onSubmit={(event) => void submit(event)} aria-labelledby="redirects-title">
            <TextField name="urls" defaultValue={urls.data.urls.join('\n')} key={urls.data.urls.join('\n')}>
              <Label>Return pages, one per line</Label>
              <TextArea rows={4} />
            </TextField>
            <Problem text={problem} />
            <div aria-live="polite">{saved && <p>{saved}</p>}</div>
            <Button type="submit" isDisabled={busy}>
              Save the return pages
            </Button>
          </Form>
        </>
      )}
    </>
  );
}
