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

/** No admin exists yet: the first-run form (with the setup link's token) or how to get that link. */
export { SetupNeeded } from './setup';

export function Unreachable({ reason }: { reason: string }) {
  return (
    <main className="narrow">
      <h1>The server does not answer</h1>
      <p role="alert">{reason}</p>
    </main>
  );
}
