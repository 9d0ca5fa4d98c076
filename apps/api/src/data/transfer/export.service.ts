import { Injectable } from '@nestjs/common';
import { csvLine } from '@backlot/http';
import type { Principal } from '@backlot/security';
import { Readable } from 'node:stream';
import type { CollectionSchema } from '../collections/collection-schema';
import { RecordQueriesRepository } from '../records/record-queries.repository';
import type { RecordRow } from '../records/record-row';
import { RecordPresenter, SYSTEM_VIEW_FIELDS } from '../records/record-view';
import type { TransferFormat } from './dto/transfer.dto';
import { toCell } from './field-cells';

/** Lines are handed to the socket in pieces of about this size (fewer, larger writes). */
const PIECE_CHARS = 64 * 1024;

/**
 * Streams every record the caller may list (optionally filtered) as NDJSON or CSV, in id
 * order, one batch at a time (RecordQueriesRepository.exportBatches). The stream pulls the
 * next batch only when the client has taken the previous one, and a client that goes away
 * stops it: memory stays flat for any number of records.
 */
@Injectable()
export class ExportService {
  constructor(
    private readonly queries: RecordQueriesRepository,
    private readonly presenter: RecordPresenter,
  ) {}

  /**
   * Checks the request and reads the first batch before anything is sent: a bad filter or
   * a closed rule is still a problem response, not a broken download.
   */
  async open(collection: CollectionSchema, principal: Principal | null, format: TransferFormat, filter?: string): Promise<Readable> {
    const batches = this.queries.exportBatches(collection, principal, filter);
    const first = await batches.next();
    return Readable.from(this.pieces(collection, format, first.done ? [] : first.value, batches), { objectMode: false });
  }

  private async *pieces(
    collection: CollectionSchema,
    format: TransferFormat,
    first: RecordRow[],
    rest: AsyncIterable<RecordRow[]>,
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
    for await (const rows of prepend(first, rest)) {
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

async function* prepend<T>(first: T, rest: AsyncIterable<T>): AsyncGenerator<T> {
  yield first;
  yield* rest;
}
