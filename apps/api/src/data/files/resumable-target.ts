import { BadRequest, NotFound, PayloadTooLarge, Unprocessable } from '@backlot/http';
import type { CollectionCatalog } from '../collections/collection-catalog';
import type { CollectionSchema } from '../collections/collection-schema';
import type { FieldDefinition } from '../collections/field-definition';
import type { AttachMode } from './record-files';

/** Where tus requests arrive (the app's prefix included): tus builds upload URLs from it. */
export const RESUMABLE_UPLOADS_PATH = '/api/v1/uploads';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MODES: readonly AttachMode[] = ['add', 'set'];

/** What a resumable upload is for, from its Upload-Metadata: a record's file field, and the file's name and declared type. */
export interface UploadTarget {
  collection: CollectionSchema;
  field: FieldDefinition;
  recordId: string;
  mode: AttachMode;
  fileName: string;
  fileType: string;
  /** The target as tus keeps it (checked and normalized; the client's other keys are dropped). */
  metadata: Record<string, string>;
  /** 413 unless `size` bytes fit the field's maxSize and the global limit. */
  checkSize(size: number | undefined, globalMax: number): void;
}

/**
 * Reads and checks an upload's metadata keys `collection`, `record`, `field`, `filename`,
 * `filetype` and `mode` (`add`, the default of a multiple field, or `set`, the default of a
 * single one). Unknown collections are 404 like on the records routes; the rest is 400 or 422.
 */
export async function uploadTarget(catalog: CollectionCatalog, metadata: Record<string, string | null>): Promise<UploadTarget> {
  const value = (key: string) => metadata[key]?.trim() || undefined;
  const missing = ['collection', 'record', 'field'].filter((key) => value(key) === undefined);
  if (missing.length > 0) throw new BadRequest(`Upload-Metadata must name the ${missing.join(', ')} (keys collection, record, field).`);
  const collection = await catalog.find(value('collection')!);
  if (!collection) throw new NotFound(`There is no collection ${value('collection')!.slice(0, 64)}.`);
  const recordId = value('record')!;
  if (!UUID.test(recordId)) throw new NotFound(`There is no record ${recordId.slice(0, 64)} in ${collection.name}.`);
  const field = collection.fieldsByName.get(value('field')!);
  if (!field || field.type !== 'file')
    throw new Unprocessable(
      [{ path: 'field', code: 'notFileField', message: `${value('field')!.slice(0, 64)} is not a file field of ${collection.name}` }],
      'A resumable upload goes into a file field.',
    );
  const mode = (value('mode') ?? (field.multiple ? 'add' : 'set')) as AttachMode;
  if (!MODES.includes(mode) || (mode === 'add' && !field.multiple))
    throw new Unprocessable(
      [{ path: 'mode', code: 'mode', message: field.multiple ? 'mode is add or set' : `${field.name} holds one file: mode is set` }],
      'The upload’s mode does not fit the field.',
    );
  const fileName = value('filename') ?? 'file';
  const fileType = value('filetype') ?? '';
  return {
    collection,
    field,
    recordId,
    mode,
    fileName,
    fileType,
    metadata: { collection: collection.name, record: recordId, field: field.name, mode, filename: fileName, filetype: fileType },
    checkSize(size, globalMax) {
      if (size === undefined)
        throw new BadRequest('A resumable upload declares its Upload-Length at creation (Upload-Defer-Length is not supported).');
      const fieldMax = field.maxSize ?? Infinity;
      if (size > Math.min(fieldMax, globalMax))
        throw new PayloadTooLarge(
          fieldMax < globalMax
            ? `The upload is larger than ${field.name}'s maxSize (${fieldMax} bytes).`
            : `The upload is larger than the upload limit (${globalMax} bytes).`,
        );
    },
  };
}
