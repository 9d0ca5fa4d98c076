import type { ComponentType } from 'react';
import { BASE, type PageProps } from './navigation';
import { CollectionsPage } from './pages/collections';
import { BackupsPage } from './pages/backups';
import { ProvidersPage } from './pages/providers';
import { WebhooksPage } from './pages/webhooks/webhooks-page';
import { RecordsPage } from './pages/records/records-page';
import { UsersPage } from './pages/users/users-page';
import { AuditPage } from './pages/audit';
import { JobsPage } from './pages/jobs';
import { StatsPage } from './pages/stats';
import { SettingsPage } from './pages/settings';

export type { PageProps } from './navigation';

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
