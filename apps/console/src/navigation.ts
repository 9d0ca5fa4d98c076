import type { Me } from './api';

/** Where the console lives on the API's origin. */
export const BASE = '/_/';

/** What every page gets: the rest of its address and a way to move within the console. */
export interface PageProps {
  /** The address's segments after the section's own, decoded: `/_/collections/todos` → `['todos']`. */
  rest: string[];
  /** Goes to a console address (`/_/…`), as a link would, with history. */
  navigate(to: string): void;
  me: Me;
}

/** The console address of a section and its segments, each encoded. */
export function href(section: string, ...rest: string[]): string {
  return BASE + [section, ...rest].map(encodeURIComponent).join('/');
}
