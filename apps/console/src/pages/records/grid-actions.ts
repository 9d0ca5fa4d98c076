import { send } from '../../api';

/** Operations per batch request: within the embedded database's limit (200), so every shape takes it. */
const BATCH = 100;
/** Trash calls in flight at once: one record per call, a few at a time. */
const PARALLEL = 4;

/** Deletes records all or nothing per batch (to the trash when the collection keeps one). */
export async function deleteRecords(collection: string, ids: string[]): Promise<void> {
  for (let start = 0; start < ids.length; start += BATCH) {
    const operations = ids.slice(start, start + BATCH).map((id) => ({ action: 'delete', id }));
    await send('POST', `/collections/${encodeURIComponent(collection)}/batch`, { operations });
  }
}

/** Restores trashed records (`restore`) or deletes them for good (`purge`), a few calls at a time. */
export async function fromTrash(collection: string, ids: string[], action: 'restore' | 'purge'): Promise<void> {
  const base = `/collections/${encodeURIComponent(collection)}/trash/`;
  const queue = [...ids];
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      await (action === 'restore'
        ? send('POST', `${base}${encodeURIComponent(id)}/restore`)
        : send('DELETE', `${base}${encodeURIComponent(id)}`));
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, queue.length) }, worker));
}
