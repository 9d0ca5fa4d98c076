import { Button } from 'react-aria-components';
import type { Me } from '../api';

/** A signed-in account without the admin role: the console is for admins only. */
export function NotAdmin({ me, onSignOut }: { me: Me; onSignOut(): void }) {
  return (
    <main className="narrow">
      <h1>Admins only</h1>
      <p>
        You are signed in as <strong>{me.email}</strong>, which is not an admin account. The console is for the admins of this server; ask
        one to give your account the admin role, or sign in with another account.
      </p>
      <Button onPress={onSignOut}>Sign out</Button>
    </main>
  );
}

/** No admin exists yet: the first one is made with the one-time link the server logged when it started. */
export function SetupNeeded() {
  return (
    <main className="narrow">
      <h1>Create the first admin</h1>
      <p>
        This server has no admin yet. Open the setup link it printed in its log when it started (it ends with <code>#token=…</code>), or run{' '}
        <code>npm run admin:create</code> on the server.
      </p>
    </main>
  );
}

export function Unreachable({ reason }: { reason: string }) {
  return (
    <main className="narrow">
      <h1>The server does not answer</h1>
      <p role="alert">{reason}</p>
    </main>
  );
}
