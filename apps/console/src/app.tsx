import { useEffect, useState } from 'react';
import { Button, RouterProvider, ToggleButton } from 'react-aria-components';
import type { Me } from './api';
import { Collections } from './pages/collections';
import { NotAdmin, SetupNeeded, Unreachable } from './pages/notices';
import { SignIn } from './pages/sign-in';
import { useSession } from './session';
import { type Theme, useTheme } from './theme';

const BASE = '/_/';

/** The collection the address names (`/_/collections/<name>`), if any. */
function collectionIn(path: string): string | undefined {
  const match = /^\/_\/collections\/([^/]+)$/.exec(path);
  return match ? decodeURIComponent(match[1]) : undefined;
}

export function App() {
  const { session, signedIn, signOut } = useSession();
  const [theme, setTheme] = useTheme();
  switch (session.kind) {
    case 'loading':
      return <p aria-live="polite">Loading…</p>;
    case 'unreachable':
      return <Unreachable reason={session.reason} />;
    case 'setup':
      return <SetupNeeded />;
    case 'signed-out':
      return <SignIn ended={session.ended} onSignedIn={signedIn} />;
    case 'not-admin':
      return <NotAdmin me={session.me} onSignOut={() => void signOut()} />;
    case 'admin':
      return <Console me={session.me} theme={theme} onTheme={setTheme} onSignOut={() => void signOut()} />;
  }
}

function Console({ me, theme, onTheme, onSignOut }: { me: Me; theme: Theme; onTheme(theme: Theme): void; onSignOut(): void }) {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const back = () => setPath(window.location.pathname);
    window.addEventListener('popstate', back);
    return () => window.removeEventListener('popstate', back);
  }, []);
  const navigate = (to: string) => {
    window.history.pushState(null, '', to);
    setPath(to);
  };
  return (
    <RouterProvider navigate={navigate}>
      <a className="skip" href="#content">
        Skip to content
      </a>
      <header className="bar">
        <a href={BASE} onClick={(event) => (event.preventDefault(), navigate(BASE))} className="brand">
          Backlot console
        </a>
        <nav aria-label="Sections">
          <a href={BASE} aria-current={path === BASE ? 'page' : undefined} onClick={(event) => (event.preventDefault(), navigate(BASE))}>
            Collections
          </a>
        </nav>
        <span className="who">{me.email}</span>
        <ToggleButton isSelected={theme === 'dark'} onChange={(dark) => onTheme(dark ? 'dark' : 'light')}>
          Dark theme
        </ToggleButton>
        <Button onPress={onSignOut}>Sign out</Button>
      </header>
      <main id="content" tabIndex={-1}>
        <Collections
          open={collectionIn(path)}
          onOpen={(name) => navigate(name === null ? BASE : `${BASE}collections/${encodeURIComponent(name)}`)}
        />
      </main>
    </RouterProvider>
  );
}
