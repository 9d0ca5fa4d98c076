import { type FormEvent, useState } from 'react';
import { Button, FieldError, Form, Input, Label, Text, TextField } from 'react-aria-components';
import { ProblemError } from '@backlot/client';
import { client, describe } from '../api';
import { BASE } from '../navigation';
import './admin.css';

let taken: string | null | undefined;

/**
 * The token of the setup URL (`/_/setup#token=…`), read once and taken out of the address bar
 * and the history: the fragment never reaches the server's logs, and should not linger here.
 */
function setupToken(): string | null {
  if (taken === undefined) {
    taken = new URLSearchParams(window.location.hash.slice(1)).get('token');
    window.history.replaceState(null, '', BASE);
  }
  return taken;
}

type FieldErrors = Partial<Record<'email' | 'password', string>>;

/** A refusal's field messages on the form's fields; the rest (a bad token, a closed setup) in words. */
function sortOut(error: unknown): { fields: FieldErrors; general: string | null } {
  if (!(error instanceof ProblemError)) return { fields: {}, general: describe(error) };
  const fields: FieldErrors = {};
  const other: string[] = [];
  for (const problem of error.errors) {
    if (problem.path === 'email' || problem.path === 'password') fields[problem.path] = problem.message;
    else other.push(`${problem.path}: ${problem.message}`);
  }
  if (error.status === 409) fields.email = error.detail;
  const general = error.status === 409 ? other.join(' ') : [error.errors.length === 0 ? error.detail : '', ...other].join(' ').trim();
  return { fields, general: general || null };
}

/**
 * No admin exists yet. With the token of the setup URL the server logged at start, a form
 * creates the first admin (POST /setup/admin) and signs in as it; without one, how to get it.
 */
export function SetupNeeded({ onSignedIn }: { onSignedIn(): Promise<void> }) {
  const [token] = useState(setupToken);
  const [password, setPassword] = useState('');
  const [fields, setFields] = useState<FieldErrors>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [closed, setClosed] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get('email'));
    // The confirmation's own message says so already (validated as typed).
    if (form.get('confirm') !== password) return;
    setBusy(true);
    setFields({});
    setProblem(null);
    try {
      await client.call({ method: 'POST', path: '/setup/admin', body: { token, email, password } });
    } catch (error) {
      setBusy(false);
      if (error instanceof ProblemError && error.status === 410) setClosed(true);
      const sorted = sortOut(error);
      setFields(sorted.fields);
      return setProblem(sorted.general);
    }
    try {
      const answer = await client.auth.login(email, password);
      if (!answer.signedIn) return window.location.assign(BASE);
      await onSignedIn();
    } catch (error) {
      setBusy(false);
      setProblem(`The admin was created, but signing in failed: ${describe(error)}`);
    }
  }

  if (!token || closed)
    return (
      <main className="narrow">
        <h1>Create the first admin</h1>
        {closed ? (
          <p role="alert">
            Setup is done: an admin account exists. <a href={BASE}>Sign in</a>.
          </p>
        ) : (
          <>
            <p>
              This server has no admin yet. The first one is created with the one-time setup link the server printed in its log when it
              started:
            </p>
            <p>
              <code>No admin account yet. Create the first one within 60 minutes at http://…/_/setup#token=…</code>
            </p>
            <p>
              Open that link in this browser. It works once and for an hour; restart the server for a new one. On the server&apos;s machine,{' '}
              <code>npm run admin:create -- you@example.com</code> creates an admin too.
            </p>
          </>
        )}
      </main>
    );

  return (
    <main className="narrow">
      <h1>Create the first admin</h1>
      <p>Choose the email address and password of this server&apos;s first admin. You are signed in as this admin afterwards.</p>
      <Form
        // Checked as typed, not when a field loses focus: a message vanishing on blur would move the button under the pointer.
        validationBehavior="aria"
        onSubmit={(event) => void submit(event)}
        validationErrors={fields}
        aria-describedby={problem ? 'setup-problem' : undefined}
      >
        <TextField name="email" type="email" isRequired autoFocus autoComplete="username" maxLength={254}>
          <Label>Email</Label>
          <Input />
          <FieldError />
        </TextField>
        <TextField
          name="password"
          type="password"
          isRequired
          autoComplete="new-password"
          minLength={10}
          maxLength={128}
          value={password}
          onChange={setPassword}
        >
          <Label>Password</Label>
          <Input />
          <Text slot="description" className="hint">
            10 to 128 characters, not a commonly used password.
          </Text>
          <FieldError />
        </TextField>
        <TextField
          name="confirm"
          type="password"
          isRequired
          autoComplete="new-password"
          maxLength={128}
          validate={(value) => (value && value !== password ? 'The passwords differ.' : null)}
        >
          <Label>Confirm the password</Label>
          <Input />
          <FieldError />
        </TextField>
        {problem && (
          <p id="setup-problem" role="alert" className="problem">
            {problem}
          </p>
        )}
        <Button type="submit" isDisabled={busy}>
          {busy ? 'Creating the admin…' : 'Create the admin'}
        </Button>
      </Form>
    </main>
  );
}
