import type { ComponentType } from 'react';
import type { Me } from './api';
import { CollectionsPage } from './pages/collections';

/** What every page gets: the rest of its address and a way to move within the console. */
export interface PageProps {
  /** The address's segments after the section's own, decoded: `/_/collections/todos` → `['todos']`. */
  rest: string[];
  /** Goes to a console address (`/_/…`), as a link would, with history. */
  navigate(to: string): void;
  me: Me;
}

export interface Section {
  /** The first segment of the address under /_/. */
  path: string;
  label: string;
  Page: ComponentType<PageProps>;
}

/** The console's sections, in the order of its navigation; the first is the home page. */
export const SECTIONS: Section[] = [{ path: 'collections', label: 'Collections', Page: CollectionsPage }];

export const BASE = '/_/';

/** The console address of a section and its segments, each encoded. */
export function href(section: string, ...rest: string[]): string {
  return BASE + [section, ...rest].map(encodeURIComponent).join('/');
}

/** The section an address names and the rest of it; the home page for `/_/`. */
export function route(pathname: string): { section: Section; rest: string[] } | null {
  if (!pathname.startsWith(BASE)) return null;
  const [first, ...rest] = pathname.slice(BASE.length).split('/').filter(Boolean);
  if (first === undefined) return { section: SECTIONS[0], rest: [] };
  const section = SECTIONS.find((candidate) => candidate.path === first);
  try {
    return section ? { section, rest: rest.map(decodeURIComponent) } : null;
  } catch {
    return null; // a malformed %-escape: no page of ours
  }
}
