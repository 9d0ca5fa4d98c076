import { Injectable, Logger } from '@nestjs/common';
import { FieldEncryption } from '@backlot/security';
import type { CollectionSchema } from '../collections/collection-schema';
import { type FileRef, fileUrl } from '../files/file-ref';
import type { RecordRow } from './record-row';

/** A record as clients see it: system fields, then the collection's fields (hidden ones never). */
export interface RecordView {
  id: string;
  owner: string | null;
  version: number;
  created: string;
  updated: string;
  deleted?: string;
  expand?: Record<string, RecordView | RecordView[] | null>;
  [field: string]: unknown;
}

export const SYSTEM_VIEW_FIELDS = ['id', 'owner', 'version', 'created', 'updated'] as const;

/** Shapes stored rows for the wire: strips hidden fields, opens encrypted ones, applies `fields` selection. */
@Injectable()
export class RecordPresenter {
  private readonly logger = new Logger('Records');

  constructor(private readonly encryption: FieldEncryption) {}

  view(collection: CollectionSchema, row: RecordRow, select?: ReadonlySet<string>): RecordView {
    const view: RecordView = {
      id: row.id,
      owner: row.owner_id,
      version: row.version,
      created: row.created_at.toISOString(),
      updated: row.updated_at.toISOString(),
    };
    if (row.deleted_at) view.deleted = row.deleted_at.toISOString();
    for (const field of collection.row.fields) {
      if (field.hidden || !(field.name in row.data)) continue;
      const value = row.data[field.name];
      if (field.type === 'file') view[field.name] = withUrls(collection, row.id, value);
      else view[field.name] = field.encrypted && typeof value === 'string' ? this.open(collection, field.type, value) : value;
    }
    return select ? pick(view, select) : view;
  }

  /** Stored data (a revision's) with hidden fields removed and encrypted ones opened. */
  data(collection: CollectionSchema, data: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(data)) {
      const field = collection.fieldsByName.get(name);
      if (field?.hidden) continue;
      out[name] = field?.encrypted && typeof value === 'string' ? this.open(collection, field.type, value) : value;
    }
    return out;
  }

  /** Stored data with encrypted fields opened and nothing removed (to validate it again). */
  plain(collection: CollectionSchema, data: Record<string, unknown>): Record<string, unknown> {
    const out = { ...data };
    for (const field of collection.encrypted)
      if (typeof out[field.name] === 'string') out[field.name] = this.open(collection, field.type, out[field.name] as string);
    return out;
  }

  private open(collection: CollectionSchema, type: string, value: string): unknown {
    try {
      const plain = this.encryption.decrypt(value, collection.encryptionContext);
      return type === 'json' ? JSON.parse(plain) : plain;
    } catch {
      // A value that cannot be opened (key removed from the ring) is withheld, never shown sealed.
      this.logger.warn({ msg: 'encrypted field could not be decrypted', collection: collection.name });
      return null;
    }
  }
}

/** A file field's FileRefs with their download URL (realtime, webhooks and exports show the same). */
function withUrls(collection: CollectionSchema, recordId: string, value: unknown): unknown {
  const present = (ref: FileRef) => ({ ...ref, url: fileUrl(collection.name, recordId, ref.name) });
  if (Array.isArray(value)) return (value as FileRef[]).map(present);
  return value && typeof value === 'object' ? present(value as FileRef) : value;
}

function pick(view: RecordView, select: ReadonlySet<string>): RecordView {
  const out = { id: view.id } as RecordView;
  for (const key of Object.keys(view)) if (select.has(key)) out[key] = view[key];
  return out;
}
