import { Cell, Column, Row, Table, TableBody, TableHeader } from 'react-aria-components';
import { get } from '../api';
import type { PageProps } from '../sections';
import { Loading, Problem } from '../ui/status';
import { useLoad } from '../ui/use-load';
import './operations.css';

type SettingValue = string | number | boolean | string[] | null;

interface Settings {
  groups: { name: string; label: string; settings: { key: string; env: string | null; value: SettingValue; secret: boolean }[] }[];
}

function shown(value: SettingValue): string {
  if (value === null) return 'not set';
  if (Array.isArray(value)) return value.length ? value.join(', ') : 'none';
  return String(value);
}

/** The effective configuration, read-only, secrets masked by the API (`/_/settings`). */
export function SettingsPage(_props: PageProps) {
  const { data, problem, loading } = useLoad((signal) => get<Settings>('/admin/settings', undefined, signal), []);
  return (
    <section className="ops" aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <p className="muted">
        What this instance runs with, read from its environment at start. Change a setting in the environment and restart; secrets are never
        shown, only whether they are set.
      </p>
      <Problem text={problem} />
      {!data && loading && <Loading what="settings" />}
      {data?.groups.map((group) => (
        <section key={group.name} aria-labelledby={`settings-${group.name}`}>
          <h2 id={`settings-${group.name}`}>{group.label}</h2>
          <Table aria-labelledby={`settings-${group.name}`}>
            <TableHeader>
              <Column isRowHeader>Setting</Column>
              <Column>Value</Column>
              <Column>Variable</Column>
            </TableHeader>
            <TableBody items={group.settings.map((setting) => ({ ...setting, id: setting.key }))}>
              {(setting) => (
                <Row>
                  <Cell>{setting.key}</Cell>
                  <Cell>
                    <code>{shown(setting.value)}</code>
                    {setting.secret && <span className="muted"> (secret)</span>}
                  </Cell>
                  <Cell>{setting.env ? <code>{setting.env}</code> : '—'}</Cell>
                </Row>
              )}
            </TableBody>
          </Table>
        </section>
      ))}
    </section>
  );
}
