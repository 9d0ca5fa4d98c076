import { useEffect, useState } from 'react';
import { Cell, Column, type Key, Row, Table, TableBody, TableHeader } from 'react-aria-components';
import { client, get } from '../../api';
import { ConfirmButton } from '../../ui/confirm';
import { Loading, Problem } from '../../ui/status';
import { useLoad } from '../../ui/use-load';
import { asText, type Schema, type StoredRecord } from './record-form-values';
import './history.css';

interface Revision {
  version: number;
  action: string;
  data: Record<string, unknown>;
  actor: string | null;
  at: string;
}

interface HistoryProps {
  schema: Schema;
  record: StoredRecord;
  /** After a restore: the record as it now is. */
  onRestored(record: StoredRecord): void;
}

/**
 * A record's revisions (who, when, what), newest first; a chosen one is compared with the
 * current record field by field and can be written back as a new version.
 */
export function History({ schema, record, onRestored }: HistoryProps) {
  const base = `/collections/${encodeURIComponent(schema.name)}/records/${encodeURIComponent(record.id)}`;
  const history = useLoad((signal) => get<{ items: Revision[] }>(`${base}/history`, { limit: 50 }, signal), [base, record.version]);
  const [chosen, setChosen] = useState<number | null>(null);
  const who = useActors(history.data?.items ?? []);
  const revisions = history.data?.items ?? [];
  const revision = revisions.find((candidate) => candidate.version === chosen);

  return (
    <section aria-labelledby="history-title" className="history">
      <h2 id="history-title">History</h2>
      <Problem text={history.problem} />
      {!history.data && !history.problem && <Loading what="history" />}
      {history.data && (
        <>
          <p className="muted">Choose a revision to compare it with the current record.</p>
          <Table
            aria-labelledby="history-title"
            selectionMode="single"
            selectionBehavior="replace"
            selectedKeys={chosen === null ? [] : [chosen]}
            onSelectionChange={(keys) =>
              setChosen(keys === 'all' ? null : ((keys.values().next().value as Key | undefined as number) ?? null))
            }
          >
            <TableHeader>
              <Column isRowHeader>Version</Column>
              <Column>Action</Column>
              <Column>By</Column>
              <Column>When</Column>
            </TableHeader>
            <TableBody items={revisions.map((item) => ({ ...item, id: item.version }))}>
              {(item) => (
                <Row>
                  <Cell>
                    {item.version}
                    {item.version === record.version ? ' (current)' : ''}
                  </Cell>
                  <Cell>{item.action}</Cell>
                  <Cell>{item.actor ? (who[item.actor] ?? item.actor) : 'system'}</Cell>
                  <Cell>
                    <time dateTime={item.at}>{new Date(item.at).toLocaleString()}</time>
                  </Cell>
                </Row>
              )}
            </TableBody>
          </Table>
        </>
      )}
      {revision && <Comparison schema={schema} record={record} revision={revision} base={base} onRestored={onRestored} />}
    </section>
  );
}

function Comparison({ schema, record, revision, base, onRestored }: HistoryProps & { revision: Revision; base: string }) {
  const names = [
    ...schema.fields.filter((field) => !field.hidden).map((field) => field.name),
    ...Object.keys(revision.data).filter((name) => !schema.fields.some((field) => field.name === name)),
  ];
  const rows = names
    .map((name) => ({ id: name, then: asText(revision.data[name]), now: asText(record[name]) }))
    .filter((row) => row.then !== row.now);
  return (
    <section aria-labelledby="compare-title" className="comparison">
      <h3 id="compare-title">
        Version {revision.version} against the current version ({record.version})
      </h3>
      {rows.length === 0 ? (
        <p>Its fields are the same as the current record&apos;s.</p>
      ) : (
        <Table aria-labelledby="compare-title" className="react-aria-Table diff">
          <TableHeader>
            <Column isRowHeader>Field</Column>
            <Column>In version {revision.version}</Column>
            <Column>Now</Column>
          </TableHeader>
          <TableBody items={rows}>
            {(row) => (
              <Row>
                <Cell>{row.id}</Cell>
                <Cell>
                  <del>{row.then}</del>
                </Cell>
                <Cell>
                  <ins>{row.now}</ins>
                </Cell>
              </Row>
            )}
          </TableBody>
        </Table>
      )}
      {revision.version !== record.version && (
        <div className="actions start">
          <ConfirmButton
            label={`Restore version ${revision.version}`}
            title={`Restore version ${revision.version}?`}
            action="Restore"
            onConfirm={async () => {
              const restored = await client.call<StoredRecord>({
                method: 'POST',
                path: `${base}/history/${revision.version}/restore`,
                headers: { 'if-match': `"${record.version}"` },
              });
              onRestored(restored.data);
            }}
          >
            <p>
              Its values are written back as a new version ({record.version + 1}); the history keeps every version. Files replaced since
              then are gone and are left out.
            </p>
          </ConfirmButton>
        </div>
      )}
    </section>
  );
}

/** The accounts behind revisions, by id → email (an id stays when it cannot be looked up, e.g. a deleted account). */
function useActors(revisions: Revision[]): Record<string, string> {
  const [emails, setEmails] = useState<Record<string, string>>({});
  const wanted = [...new Set(revisions.flatMap((revision) => (revision.actor ? [revision.actor] : [])))]
    .filter((id) => emails[id] === undefined)
    .join(',');
  useEffect(() => {
    if (!wanted) return;
    for (const id of wanted.split(','))
      get<{ email: string }>(`/admin/users/${encodeURIComponent(id)}`).then(
        (user) => setEmails((now) => ({ ...now, [id]: user.email })),
        () => setEmails((now) => ({ ...now, [id]: id })),
      );
  }, [wanted]);
  return emails;
}
