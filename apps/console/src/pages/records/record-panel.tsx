import { useEffect, useState } from 'react';
import { client, get } from '../../api';
import { ConfirmButton } from '../../ui/confirm';
import { Loading, Problem } from '../../ui/status';
import { useLoad } from '../../ui/use-load';
import { History } from './history';
import { RecordForm } from './record-form';
import type { Schema, StoredRecord } from './record-form-values';
import './record-form.css';

interface RecordPanelProps {
  collection: string;
  /** The record to open, or null for a new one. */
  recordId: string | null;
  /** Back to the collection's records (after a delete, or when the operator leaves). */
  onDone(): void;
  navigate(to: string): void;
}

/**
 * One record of a collection: `/_/records/<c>/new` is the empty form; `/_/records/<c>/<id>` the
 * form filled in, its delete, and its history.
 */
export function RecordPanel({ collection, recordId, onDone, navigate }: RecordPanelProps) {
  const loaded = useLoad(
    async (signal) => {
      const schema = await get<Schema>(`/collections/${encodeURIComponent(collection)}`, undefined, signal);
      const record = recordId ? ((await client.collection(collection).get(recordId, { signal })) as StoredRecord) : null;
      return { schema, record };
    },
    [collection, recordId],
  );
  const [record, setRecord] = useState<StoredRecord | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  useEffect(() => {
    setRecord(loaded.data?.record ?? null);
    setNotice(null);
  }, [loaded.data]);

  const back = `/_/records/${encodeURIComponent(collection)}`;
  const title = recordId ? `Record of ${collection}` : `New record in ${collection}`;
  const header = (
    <p>
      <a href={back} onClick={(event) => (event.preventDefault(), onDone())}>
        ← All records of {collection}
      </a>
    </p>
  );
  if (loaded.problem && !loaded.data)
    return (
      <section aria-labelledby="record-title">
        {header}
        <h1 id="record-title">{title}</h1>
        <Problem text={loaded.problem} />
      </section>
    );
  // The record in state follows the loaded one a render later: wait for it rather than show the old one.
  if (!loaded.data || (recordId !== null && record?.id !== recordId)) return <Loading what="the record" />;
  const { schema } = loaded.data;

  const saved = (next: StoredRecord) => {
    if (!recordId) return navigate(`${back}/${encodeURIComponent(next.id)}`);
    setRecord(next);
    setNotice(`Saved: version ${next.version}.`);
  };

  return (
    <section aria-labelledby="record-title" className="record-panel">
      {header}
      <h1 id="record-title">{title}</h1>
      {record && (
        <p className="muted record-meta">
          <span>
            id <code>{record.id}</code>
          </span>
          <span>version {record.version}</span>
          <span>
            updated <time dateTime={record.updated}>{new Date(record.updated).toLocaleString()}</time>
          </span>
        </p>
      )}
      <p aria-live="polite" className="notice">
        {notice}
      </p>
      <div className="record-columns">
        <div>
          <RecordForm
            key={record ? `${record.id}:${record.version}` : 'new'}
            schema={schema}
            record={record}
            onSaved={saved}
            onReload={loaded.reload}
          />
          {record && (
            <div className="actions start danger-zone">
              <ConfirmButton
                label="Delete record"
                title="Delete this record?"
                action="Delete"
                onConfirm={() => client.collection(collection).delete(record).then(onDone)}
              >
                <p>
                  It goes to the collection&apos;s trash when the collection keeps one (it can be restored from there); otherwise it is
                  gone.
                </p>
              </ConfirmButton>
            </div>
          )}
        </div>
        {record && (
          <History
            schema={schema}
            record={record}
            onRestored={(restored) => {
              setRecord(restored);
              setNotice(`Restored: the record is now version ${restored.version}.`);
            }}
          />
        )}
      </div>
    </section>
  );
}
