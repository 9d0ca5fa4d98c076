import { Injectable } from '@nestjs/common';
import { csvLine } from '@backlot/http';
import type { Principal } from '@backlot/security';
import { Readable } from 'node:stream';
import type { CollectionSchema } from '../collections/collection-schema';
import { compileFilter, SqlParams } from '../query/filter-compiler';
import { clientExpression } from '../records/record-list';
import { RECORD_COLUMNS, type RecordRow } from '../records/record-row';
import { RecordPresenter, SYSTEM_VIEW_FIELDS } from '../records/record-view';
import { RecordsRepository } from '../records/records.repository';
import type { TransferFormat } from './dto/transfer.dto';
import { toCell } from './field-cells';

/** Rows per query: at most 1,000, fewer when records may be large, so a batch's memory is bounded. */
const BATCH_BYTES = 32 * 1024 * 1024;
const MAX_BATCH = 1_000;
/** Lines are handed to the socket in pieces of about this size (fewer, larger writes). */
const PIECE_CHARS = 64 * 1024;
/** Below every id the server generates: the keyset cursor's start. */
const BEFORE_FIRST_ID = '00000000-0000-0000-0000-000000000000';

/**
 * Streams every record the caller may list (optionally filtered) as NDJSON or CSV, in id
 * order, one keyset batch at a time. The stream pulls the next batch only when the client
 * has taken the previous one, and a client that goes away stops it: memory stays flat for
 * any number of records. Batches are separate queries, not one long transaction, so an
 * export never holds a connection (or the embedded database) for its whole duration.
 */
@Injectable()
export class ExportService {
  constructor(
    private readonly records: RecordsRepository,
    private readonly presenter: RecordPresenter,
  ) {}

  /**
   * Checks the request and runs the first batch before anything is sent: a bad filter or
   * a closed rule is still a problem response, not a broken download.
   */
  async open(collection: CollectionSchema, principal: Principal | null, format: TransferFormat, filter?: string): Promise<Readable> {
    const params = new SqlParams();
    const where = [this.records.scope(collection, principal, 'list', params, 'live')];
    if (filter) {
      const context = { fields: collection.filterFields, me: principal?.userId ?? null, allowHidden: principal?.role === 'admin' };
      where.push(clientExpression('filter', () => compileFilter(filter, context, params).sql));
    }
    const batch = Math.max(1, Math.min(MAX_BATCH, Math.floor(BATCH_BYTES / collection.options.maxRecordBytes)));
    const after = params.add(BEFORE_FIRST_ID, 'uuid');
    const cursor = params.values.length - 1;
    const sql = `SELECT ${RECORD_COLUMNS} FROM records r WHERE ${where.join(' AND ')} AND r.id > ${after}
                  ORDER BY r.id LIMIT ${params.add(batch, 'int')}`;
    const fetch = (lastId: string) => {
      params.values[cursor] = lastId;
      return this.records.select<RecordRow>(collection, sql, params.values);
    };
    const first = await fetch(BEFORE_FIRST_ID);
    return Readable.from(this.pieces(collection, format, first, batch, fetch), { objectMode: false });
  }

  private async *pieces(
    collection: CollectionSchema,
    format: TransferFormat,
    first: RecordRow[],
    batch: number,
    fetch: (lastId: string) => Promise<RecordRow[]>,
  ): AsyncGenerator<string> {
    const fields = collection.row.fields.filter((field) => !field.hidden);
    const encode =
      format === 'csv'
        ? (row: RecordRow) => {
            const view = this.presenter.view(collection, row);
            return csvLine([...SYSTEM_VIEW_FIELDS.map((name) => view[name]), ...fields.map((field) => toCell(field, view[field.name]))]);
          }
        : (row: RecordRow) => `${JSON.stringify(this.presenter.view(collection, row))}\n`;
    let piece = format === 'csv' ? csvLine([...SYSTEM_VIEW_FIELDS, ...fields.map((field) => field.name)]) : '';
    for (let rows = first; rows.length > 0; rows = rows.length < batch ? [] : await fetch(rows.at(-1)!.id)) {
      for (const row of rows) {
        piece += encode(row);
        if (piece.length >= PIECE_CHARS) {
          yield piece;
          piece = '';
        }
      }
    }
    if (piece) yield piece;
  }
}
