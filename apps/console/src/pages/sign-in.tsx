import { type FormEvent, useState } from 'react';
import { Button, FieldError, Form, Input, Label, TextField } from 'react-aria-components';
import { client, describe } from '../api';

/** Email and password, then the MFA code when the account has one. */
export function SignIn({ ended, onSignedIn }: { ended?: boolean; onSignedIn(): Promise<void> }) {
  const [challenge, setChallenge] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(ended ? 'Your session ended. Sign in again.' : null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setProblem(null);
    try {
      if (challenge) await client.auth.verifyMfa(challenge, String(form.get('code')));
      else {
        const answer = await client.auth.login(String(form.get('email')), String(form.get('password')));
        if (!answer.signedIn) return setChallenge(answer.challengeToken);
      }
      await onSignedIn();
    } catch (error) {
      setProblem(describe(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="narrow">
      <h1>Sign in to the Backlot console</h1>
      <Form onSubmit={(event) => void submit(event)} aria-describedby={problem ? 'sign-in-problem' : undefined}>
        {challenge ? (
          <TextField name="code" isRequired autoFocus autoComplete="one-time-code" inputMode="numeric" maxLength={64}>
            <Label>Code from your authenticator app (or a recovery code)</Label>
            <Input />
            <FieldError />
          </TextField>
        ) : (
          <>
            <TextField name="email" type="email" isRequired autoFocus autoComplete="username" maxLength={254}>
              <Label>Email</Label>
              <Input />
              <FieldError />
            </TextField>
            <TextField name="password" type="password" isRequired autoComplete="current-password" maxLength={128}>
              <Label>Password</Label>
              <Input />
              <FieldError />
            </TextField>
          </>
        )}
        {problem && (
          <p id="sign-in-problem" role="alert" className="problem">
            {problem}
          </p>
        )}
        <Button type="submit" isDisabled={busy}>
          {challenge ? 'Verify' : 'Sign in'}
        </Button>
      </Form>
    </main>
  );
}
