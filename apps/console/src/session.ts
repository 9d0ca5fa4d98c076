import { useCallback, useEffect, useState } from 'react';
import { ProblemError } from '@backlot/client';
import { client, describe, type Me } from './api';

/** Where the console stands with the person in front of it. */
export type Session =
  | { kind: 'loading' }
  | { kind: 'unreachable'; reason: string }
  | { kind: 'setup' }
  | { kind: 'signed-out'; ended?: boolean }
  | { kind: 'not-admin'; me: Me }
  | { kind: 'admin'; me: Me };

/**
 * Finds the session on load: first run (no admin yet), the one the refresh cookie holds, or
 * none. A session that ends later (expired, revoked, signed out in another tab) brings the
 * sign-in form back with a word on why.
 */
export function useSession(): { session: Session; signedIn(): Promise<void>; signOut(): Promise<void> } {
  const [session, setSession] = useState<Session>({ kind: 'loading' });

  const signedIn = useCallback(async () => {
    const me = await client.me<Me>();
    setSession(me.role === 'admin' ? { kind: 'admin', me } : { kind: 'not-admin', me });
  }, []);

  const signOut = useCallback(async () => {
    await client.auth.logout().catch(() => undefined);
    setSession({ kind: 'signed-out' });
  }, []);

  useEffect(() => {
    let live = true;
    const stop = client.auth.onChange((state) => {
      if (!state && live)
        setSession((now) => (now.kind === 'admin' || now.kind === 'not-admin' ? { kind: 'signed-out', ended: true } : now));
    });
    (async () => {
      const setup = await client.call<{ open: boolean }>({ method: 'GET', path: '/setup', idempotent: true });
      if (setup.data.open) return setSession({ kind: 'setup' });
      const resumed = await client.auth.refresh().catch((error: unknown) => {
        if (error instanceof ProblemError && error.status === 401) return null;
        throw error;
      });
      if (!resumed) return setSession({ kind: 'signed-out' });
      await signedIn();
    })().catch((error: unknown) => live && setSession({ kind: 'unreachable', reason: describe(error) }));
    return () => {
      live = false;
      stop();
    };
  }, [signedIn]);

  return { session, signedIn, signOut };
}
