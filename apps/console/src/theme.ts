import { useEffect, useState } from 'react';

export type Theme = 'light' | 'dark';
const KEY = 'backlot-console-theme';

/** The chosen theme (kept in localStorage: not a secret), else the system's. */
export function useTheme(): [Theme, (theme: Theme) => void] {
  const [theme, setTheme] = useState<Theme>(() => {
    const kept = window.localStorage.getItem(KEY);
    if (kept === 'light' || kept === 'dark') return kept;
    return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  });
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  return [
    theme,
    (next) => {
      window.localStorage.setItem(KEY, next);
      setTheme(next);
    },
  ];
}
