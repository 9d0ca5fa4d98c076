import { useState } from 'react';
import { Button, Cell, Checkbox, Column, Form, Row, Table, TableBody, TableHeader } from 'react-aria-components';
import { client, describe, get, send } from '../api';
import type { PageProps } from '../sections';
import { ConfirmButton } from '../ui/confirm';
import { Loading, Problem } from '../ui/status';
import { useLoad } from '../ui/use-load';
import './admin.css';

interface Backup {
  name: string;
  kind: 'manual' | 'scheduled' | 'pre-restore';
  createdAt: string;
  includesSessions: boolean;
  includesFiles: boolean;
  files: { count: number; bytes: number };
  counts: Record<string, number>;
  size: number;
}

interface RestoreResult {
  restored: string;
  preRestoreBackup: string;
  counts: Record<string, number>;
  sessionsRestored: boolean;
  filesRestored: number;
  filesMissing: number;
}

/** What the one backup or restore under way is doing; the API answers each when it is complete. */
type Work = { doing: 'backup' } | { doing: 'restore'; name: string } | null;

function bytes(size: number): string {
  if (size < 1024) return `${size} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

const when = (iso: string) => new Date(iso).toLocaleString();

/** `/_/backups`: the backups in BACKUP_DIR; make one, download, restore (typing its name) or delete one. */
export function BackupsPage(_props: PageProps) {
  const backups = useLoad((signal) => get<{ items: Backup[] }>('/admin/backups', { limit: 200 }, signal), []);
  const [work, setWork] = useState<Work>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [restored, setRestored] = useState<RestoreResult | null>(null);

  async function create(options: { files: boolean; includeSessions: boolean }) {
    setWork({ doing: 'backup' });
    setProblem(null);
    setDone(null);
    try {
      const made = await send<Backup>('POST', '/admin/backups', options);
      setDone(`Backup ${made.name} is complete (${bytes(made.size)}).`);
      backups.reload();
    } catch (error) {
      setProblem(describe(error));
    } finally {
      setWork(null);
    }
  }

  async function restore(name: string) {
    setWork({ doing: 'restore', name });
    setDone(null);
    setRestored(null);
    try {
      const result = await send<RestoreResult>('POST', `/admin/backups/${encodeURIComponent(name)}/restore`, { confirm: name });
      setRestored(result);
      // Without the backup's sessions, every session (this one too) has ended: the next call would sign out.
      if (result.sessionsRestored) backups.reload();
    } finally {
      setWork(null);
    }
  }

  async function download(name: string) {
    setProblem(null);
    try {
      const file = await client.call<Blob>({
        method: 'GET',
        path: `/admin/backups/${encodeURIComponent(name)}/download`,
        responseType: 'blob',
        idempotent: true,
      });
      const url = URL.createObjectURL(file.data);
      const link = document.createElement('a');
      link.href = url;
      link.download = `${name}.backup.gz`; // the name the CLI's restore and BACKUP_DIR use
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (error) {
      setProblem(describe(error));
    }
  }

  return (
    <section aria-labelledby="backups-title" className="admin-page">
      <h1 id="backups-title">Backups</h1>
      <p className="hint">
        Everything Backlot stores, in one file in <code>BACKUP_DIR</code>. A restore replaces the whole database; the current state is
        backed up first (kind pre-restore).
      </p>
      <NewBackup busy={work !== null} onCreate={(options) => void create(options)} />
      <div aria-live="polite" className="progress">
        {work?.doing === 'backup' && <p>Backing up… the backup is listed when its file is complete.</p>}
        {work?.doing === 'restore' && <p>Restoring {work.name}… every request waits until it is done.</p>}
        {done && <p>{done}</p>}
      </div>
      {restored && <RestoreSummary result={restored} />}
      <Problem text={problem} />
      <h2 id="backup-list-title">Stored backups</h2>
      {backups.problem && <Problem text={backups.problem} />}
      {!backups.data ? (
        backups.loading && <Loading what="backups" />
      ) : backups.data.items.length === 0 ? (
        <p>No backups yet.</p>
      ) : (
        <Table aria-labelledby="backup-list-title">
          <TableHeader>
            <Column isRowHeader>Name</Column>
            <Column>Kind</Column>
            <Column>Created</Column>
            <Column>Size</Column>
            <Column>Contents</Column>
            <Column>Actions</Column>
          </TableHeader>
          <TableBody items={backups.data.items.map((backup) => ({ ...backup, id: backup.name }))}>
            {(backup) => (
              <Row>
                <Cell>
                  <code>{backup.name}</code>
                </Cell>
                <Cell>{backup.kind}</Cell>
                <Cell>{when(backup.createdAt)}</Cell>
                <Cell>{bytes(backup.size)}</Cell>
                <Cell>
                  {Object.values(backup.counts).reduce((sum, count) => sum + count, 0)} rows
                  {backup.includesFiles ? `, ${backup.files.count} files (${bytes(backup.files.bytes)})` : ', no file bytes'}
                  {backup.includesSessions ? ', sessions' : ''}
                </Cell>
                <Cell>
                  <div className="row-actions">
                    <Button
                      className="react-aria-Button quiet"
                      onPress={() => void download(backup.name)}
                      aria-label={`Download ${backup.name}`}
                    >
                      Download
                    </Button>
                    <ConfirmButton
                      label="Restore"
                      title={`Restore ${backup.name}?`}
                      typeToConfirm={backup.name}
                      onConfirm={() => restore(backup.name)}
                    >
                      <p>
                        This replaces every user, collection, record, setting and stored file with the backup&apos;s, taken{' '}
                        {when(backup.createdAt)}. The current state is backed up first.
                        {backup.includesSessions ? '' : ' The backup holds no sessions: everyone is signed out, you too.'}
                      </p>
                    </ConfirmButton>
                    <ConfirmButton
                      label="Delete"
                      title={`Delete ${backup.name}?`}
                      onConfirm={() => send('DELETE', `/admin/backups/${encodeURIComponent(backup.name)}`).then(backups.reload)}
                    >
                      <p>The backup file and its manifest are deleted for good.</p>
                    </ConfirmButton>
                  </div>
                </Cell>
              </Row>
            )}
          </TableBody>
        </Table>
      )}
    </section>
  );
}

function NewBackup({ busy, onCreate }: { busy: boolean; onCreate(options: { files: boolean; includeSessions: boolean }): void }) {
  const [files, setFiles] = useState(true);
  const [includeSessions, setIncludeSessions] = useState(false);
  return (
    <Form
      className="react-aria-Form inline-form"
      aria-label="New backup"
      onSubmit={(event) => {
        event.preventDefault();
        onCreate({ files, includeSessions });
      }}
    >
      <Checkbox isSelected={files} onChange={setFiles}>
        <span className="box" aria-hidden="true" />
        Include stored files&apos; bytes
      </Checkbox>
      <Checkbox isSelected={includeSessions} onChange={setIncludeSessions}>
        <span className="box" aria-hidden="true" />
        Include sessions (restoring it keeps people signed in)
      </Checkbox>
      <Button type="submit" isDisabled={busy}>
        Back up now
      </Button>
    </Form>
  );
}

function RestoreSummary({ result }: { result: RestoreResult }) {
  const rows = Object.values(result.counts).reduce((sum, count) => sum + count, 0);
  return (
    <div role="status" className="result">
      <p>
        Restored <code>{result.restored}</code>: {rows} rows, {result.filesRestored} stored files written
        {result.filesMissing > 0 ? `, ${result.filesMissing} stored files missing from storage` : ''}. The state before it is in{' '}
        <code>{result.preRestoreBackup}</code>.
      </p>
      {!result.sessionsRestored && (
        <p>
          The backup held no sessions, so every session has ended, yours too. <a href="/_/backups">Sign in again</a>.
        </p>
      )}
    </div>
  );
}
