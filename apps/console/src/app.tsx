import { type MouseEvent, Suspense, useCallback, useEffect, useState } from 'react';
import { Button, RouterProvider, ToggleButton } from 'react-aria-components';
import type { Me } from './api';
import { NotAdmin, SetupNeeded, Unreachable } from './pages/notices';
import { SignIn } from './pages/sign-in';
import { BASE, href } from './navigation';
import { route, SECTIONS } from './sections';
import { Loading } from './ui/status';
import { useSession } from './session';
import { type Theme, useTheme } from './theme';

const GROUPS = [...new Set(SECTIONS.map((section) => section.group))];

export function App() {
  const { session, signedIn, signOut } = useSession();
  const [theme, setTheme] = useTheme();
  switch (session.kind) {
    case 'loading':
      return <p aria-live="polite">Loading…</p>;
    case 'unreachable':
      return <Unreachable reason={session.reason} />;
    case 'setup':
      return <SetupNeeded onSignedIn={signedIn} />;
    case 'signed-out':
      return <SignIn ended={session.ended} onSignedIn={signedIn} />;
    case 'not-admin':
      return <NotAdmin me={session.me} onSignOut={() => void signOut()} />;
    case 'admin':
      return <Console me={session.me} theme={theme} onTheme={setTheme} onSignOut={() => void signOut()} />;
  }
}

function Console({ me, theme, onTheme, onSignOut }: { me: Me; theme: Theme; onTheme(theme: Theme): void; onSignOut(): void }) {
  const [path, setPath] = useState(window.location.pathname + window.location.search);
  useEffect(() => {
    const back = () => setPath(window.location.pathname + window.location.search);
    window.addEventListener('popstate', back);
    return () => window.removeEventListener('popstate', back);
  }, []);
  const navigate = useCallback((to: string) => {
    window.history.pushState(null, '', to);
    setPath(to);
    document.getElementById('content')?.focus();
  }, []);
  const here = route(new URL(path, window.location.origin).pathname);
  const follow = (to: string) => (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return; // a new tab, as the browser does
    event.preventDefault();
    navigate(to);
  };
  return (
    <RouterProvider navigate={navigate}>
      <a className="skip" href="#content">
        Skip to content
      </a>
      <header className="bar">
        <a href={BASE} onClick={follow(BASE)} className="brand">
          Backlot console
        </a>
        <span className="who">{me.email}</span>
        <ToggleButton isSelected={theme === 'dark'} onChange={(dark) => onTheme(dark ? 'dark' : 'light')}>
          Dark theme
        </ToggleButton>
        <Button onPress={onSignOut}>Sign out</Button>
      </header>
      <div className="frame">
        <nav aria-label="Sections" className="sections">
          {GROUPS.map((group) => (
            <div key={group} role="group" aria-labelledby={`nav-${group}`}>
              <h2 id={`nav-${group}`}>{group}</h2>
              <ul>
                {SECTIONS.filter((section) => section.group === group).map((section) => (
                  <li key={section.path}>
                    <a
                      href={href(section.path)}
                      aria-current={here?.section === section ? 'page' : undefined}
                      onClick={follow(href(section.path))}
                    >
                      {section.label}
                    </a>
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </nav>
        <main id="content" tabIndex={-1}>
          {here ? (
            <Suspense fallback={<Loading what={here.section.label.toLowerCase()} />}>
              <here.section.Page key={here.section.path} rest={here.rest} navigate={navigate} me={me} />
            </Suspense>
          ) : (
            <section>
              <h1>No such page</h1>
              <p>
                <a href={BASE} onClick={follow(BASE)}>
                  Back to the console&apos;s home
                </a>
              </p>
            </section>
          )}
        </main>
      </div>
    </RouterProvider>
  );
}
