import { type ComponentType, lazy } from 'react';
import { BASE, type PageProps } from './navigation';

export type { PageProps } from './navigation';

// Each section is its own chunk, loaded when first opened: the sign-in page and the shell load
// only React, React Aria's basics and the client (the budget is 250 KB of gzipped JS at first).
const CollectionsPage = lazy(() => import('./pages/collections').then((page) => ({ default: page.CollectionsPage })));
const BackupsPage = lazy(() => import('./pages/backups').then((page) => ({ default: page.BackupsPage })));
const ProvidersPage = lazy(() => import('./pages/providers').then((page) => ({ default: page.ProvidersPage })));
const WebhooksPage = lazy(() => import('./pages/webhooks/webhooks-page').then((page) => ({ default: page.WebhooksPage })));
const RecordsPage = lazy(() => import('./pages/records/records-page').then((page) => ({ default: page.RecordsPage })));
const UsersPage = lazy(() => import('./pages/users/users-page').then((page) => ({ default: page.UsersPage })));
const AuditPage = lazy(() => import('./pages/audit').then((page) => ({ default: page.AuditPage })));
const JobsPage = lazy(() => import('./pages/jobs').then((page) => ({ default: page.JobsPage })));
const StatsPage = lazy(() => import('./pages/stats').then((page) => ({ default: page.StatsPage })));
const SettingsPage = lazy(() => import('./pages/settings').then((page) => ({ default: page.SettingsPage })));

export interface Section {
  /** The heading it is listed under in the navigation. */
  group: 'Data' | 'People' | 'Operations';
  /** The first segment of the address under /_/. */
  path: string;
  label: string;
  Page: ComponentType<PageProps>;
}

/** The console's sections, in the order of its navigation under their groups; the first is the home page. */
export const SECTIONS: Section[] = [
  { group: 'Data', path: 'collections', label: 'Collections', Page: CollectionsPage },
  { group: 'Data', path: 'records', label: 'Records', Page: RecordsPage },
  { group: 'People', path: 'users', label: 'Users', Page: UsersPage },
  { group: 'People', path: 'providers', label: 'Sign-in providers', Page: ProvidersPage },
  { group: 'People', path: 'audit', label: 'Audit log', Page: AuditPage },
  { group: 'Operations', path: 'jobs', label: 'Jobs', Page: JobsPage },
  { group: 'Operations', path: 'backups', label: 'Backups', Page: BackupsPage },
  { group: 'Operations', path: 'webhooks', label: 'Webhooks', Page: WebhooksPage },
  { group: 'Operations', path: 'stats', label: 'Stats', Page: StatsPage },
  { group: 'Operations', path: 'settings', label: 'Settings', Page: SettingsPage },
];

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
