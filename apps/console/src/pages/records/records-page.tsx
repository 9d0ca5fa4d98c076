import type { PageProps } from '../../sections';
import { RecordPanel } from './record-panel';
import { RecordsGrid } from './records-grid';

/**
 * The records section: `/_/records/<collection>` is the grid, `/_/records/<collection>/new` the
 * form for a new record, `/_/records/<collection>/<id>` one record (form and history).
 */
export function RecordsPage({ rest, navigate }: PageProps) {
  const [collection, record] = rest;
  if (!collection) return <RecordsGrid collection={undefined} navigate={navigate} />;
  if (record)
    return (
      <RecordPanel
        collection={collection}
        recordId={record === 'new' ? null : record}
        onDone={() => navigate(`/_/records/${encodeURIComponent(collection)}`)}
        navigate={navigate}
      />
    );
  return <RecordsGrid collection={collection} navigate={navigate} />;
}
