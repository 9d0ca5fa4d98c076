import { Injectable } from '@nestjs/common';
import type { Queryable } from '@backlot/database';
import { type FieldError, PayloadTooLarge, Unprocessable } from '@backlot/http';
import { FieldEncryption, type Principal } from '@backlot/security';
import { UsersService } from '../../users/users.service';
import { CollectionCatalog } from '../collections/collection-catalog';
import type { CollectionSchema } from '../collections/collection-schema';
import type { RecordMode } from '../collections/record-validator';
import { RecordPresenter } from './record-view';
import { RecordsRepository } from './records.repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const RECORD_DOES_NOT_FIT = 'The record does not fit the collection’s schema.';
/** Ids per existence query: bounded statements, whatever the batch. */
const REFERENCE_CHUNK = 1_000;

/**
 * Turns a client's record data into what is stored: size-checked (413), validated against
 * the compiled schema (422 with per-field errors), references checked (relations point at
 * live records the caller may view, user fields at accounts), and encrypted fields sealed.
 */
@Injectable()
export class RecordInput {
  constructor(
    private readonly catalog: CollectionCatalog,
    private readonly records: RecordsRepository,
    private readonly users: UsersService,
    private readonly encryption: FieldEncryption,
    private readonly presenter: RecordPresenter,
  ) {}

  /**
   * Validated, normalized and encrypted data, or throws with every problem found. `files`:
   * whether file fields come worked out by RecordFiles (FileRefs of stored objects) or are
   * refused as a client's values.
   */
  async prepare(
    collection: CollectionSchema,
    principal: Principal | null,
    input: unknown,
    mode: RecordMode,
    files: FileValues = 'refused',
  ): Promise<Record<string, unknown>> {
    const value = this.validated(collection, input, mode, files);
    const [problems] = await this.referenceProblems(collection, principal, [value]);
    if (problems.length > 0) throw new Unprocessable(problems, RECORD_DOES_NOT_FIT);
    return this.seal(collection, value);
  }

  /** Problems of one record (used by imports, which report them per line instead of throwing). */
  async problems(
    collection: CollectionSchema,
    principal: Principal | null,
    input: unknown,
    mode: RecordMode,
    files: FileValues = 'refused',
  ): Promise<{ value: Record<string, unknown>; problems: FieldError[] }> {
    const { value, problems } = this.schemaProblems(collection, input, mode, files);
    if (problems.length > 0) return { value, problems };
    return { value, problems: (await this.referenceProblems(collection, principal, [value]))[0] };
  }

  /** Normalized data that fits the collection's schema, or throws (422, 413); references are not checked yet. */
  validated(collection: CollectionSchema, input: unknown, mode: RecordMode, files: FileValues = 'refused'): Record<string, unknown> {
    const { value, problems } = this.schemaProblems(collection, input, mode, files);
    if (problems.length > 0) throw new Unprocessable(problems, RECORD_DOES_NOT_FIT);
    return value;
  }

  /**
   * Reference problems of many records at once (relations pointing at live records the caller
   * may view, user fields at accounts), aligned with `values` (undefined entries have none).
   * A record the caller may not view is answered exactly like a missing one, or the 422 would
   * tell them it exists (and, under onDelete restrict, a stranger's reference could keep its
   * owner from deleting it). Ids are listed only for visible fields: a hidden one's may not be
   * the caller's to learn (restoring a revision or the trash writes values the caller never sent).
   * One query per reference field and chunk of ids, one after another: a batch of a thousand
   * records costs a few queries, not thousands queued ahead of every other caller's. Runs
   * outside any transaction (it reads users and the catalog): check before opening one.
   */
  async referenceProblems(
    collection: CollectionSchema,
    principal: Principal | null,
    values: readonly (Record<string, unknown> | undefined)[],
  ): Promise<FieldError[][]> {
    const problems = values.map((): FieldError[] => []);
    for (const field of collection.row.fields) {
      if (field.type !== 'relation' && field.type !== 'user') continue;
      const idsOf = values.map((value) => referencedIds(value?.[field.name]));
      const wanted = [...new Set(idsOf.flat())];
      if (wanted.length === 0) continue;
      const target = field.type === 'relation' ? await this.catalog.get(field.collection!) : undefined;
      const found = new Set<string>();
      for (let start = 0; start < wanted.length; start += REFERENCE_CHUNK) {
        const chunk = wanted.slice(start, start + REFERENCE_CHUNK);
        const existing = target ? await this.records.viewableIds(target, principal, chunk) : await this.users.existingIds(chunk);
        existing.forEach((id) => found.add(id));
      }
      idsOf.forEach((ids, index) => {
        const missing = ids.filter((id) => !found.has(id));
        if (missing.length === 0) return;
        const what = field.type === 'user' ? 'no user' : `no live record of ${field.collection} that you may view`;
        const listed = field.hidden ? '' : `: ${missing.slice(0, 5).join(', ')}`;
        problems[index].push({
          path: field.name,
          code: field.type === 'user' ? 'unknownUser' : 'unknownRecord',
          message: `${field.name} refers to ${what}${listed}`,
        });
      });
    }
    return problems;
  }

  /**
   * 413 when a change would leave the record above the collection's limit. The body alone
   * does not tell: a patch adds to what is stored (patches would grow a record one field at
   * a time), and a replacement keeps the hidden fields it does not send. Measured on the
   * plaintext, like a new record. Checked before the write, so concurrent patches may each
   * pass and overshoot the limit once.
   */
  async checkChangedSize(
    collection: CollectionSchema,
    principal: Principal | null,
    id: string,
    kind: 'patch' | 'replace',
    data: Record<string, unknown>,
    q?: Queryable,
  ): Promise<void> {
    const [tooLarge] = await this.changedSizeProblems(collection, principal, [{ id, kind, data }], q);
    if (tooLarge) throw tooLarge;
  }

  /** checkChangedSize for many changes, aligned with them (undefined: it fits), reading the records in one query. */
  async changedSizeProblems(
    collection: CollectionSchema,
    principal: Principal | null,
    changes: readonly { id: string; kind: 'patch' | 'replace'; data: Record<string, unknown> }[],
    q?: Queryable,
  ): Promise<(PayloadTooLarge | undefined)[]> {
    const ids = changes.filter((change) => change.kind === 'patch' || collection.hidden.size > 0).map((change) => change.id);
    const rows = ids.length > 0 ? await this.records.findMany(collection, principal, [...new Set(ids)], q, 'update') : [];
    const current = new Map(rows.map((row) => [row.id, row]));
    return changes.map(({ id, kind, data }) => {
      const row = current.get(id);
      // Missing or not allowed: the write will match nothing and the caller explains why.
      if (!row) return undefined;
      const kept =
        kind === 'patch'
          ? row.data
          : Object.fromEntries(Object.entries(row.data).filter(([name]) => collection.hidden.has(name) && !(name in data)));
      return sizeProblem(collection, this.presenter.plain(collection, { ...kept, ...data }));
    });
  }

  /** Which of these user ids name accounts (an import that keeps its records' owners). */
  knownUsers(ids: string[]): Promise<Set<string>> {
    return ids.length === 0 ? Promise.resolve(new Set()) : this.users.existingIds([...new Set(ids)]);
  }

  /** Encrypts the encrypted fields of validated data (json values as their JSON text). */
  seal(collection: CollectionSchema, data: Record<string, unknown>): Record<string, unknown> {
    if (collection.encrypted.length === 0) return data;
    const sealed = { ...data };
    for (const field of collection.encrypted) {
      const value = sealed[field.name];
      if (value === undefined || value === null) continue;
      sealed[field.name] = this.encryption.encrypt(
        typeof value === 'string' && field.type !== 'json' ? value : JSON.stringify(value),
        collection.encryptionContext,
      );
    }
    return sealed;
  }

  /** Problems against the schema alone (references are checked apart, in bulk); 413 when the record is too large. */
  schemaProblems(
    collection: CollectionSchema,
    input: unknown,
    mode: RecordMode,
    files: FileValues = 'refused',
  ): { value: Record<string, unknown>; problems: FieldError[] } {
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      return { value: {}, problems: [{ path: '(record)', code: 'type', message: 'the record must be a JSON object' }] };
    if (files === 'refused') {
      const sent = collection.row.fields.filter(
        (field) => field.type === 'file' && (input as Record<string, unknown>)[field.name] !== undefined,
      );
      if (sent.length > 0) return { value: {}, problems: sent.map(fileValueRefused) };
    }
    checkSize(collection, input);
    const { value, errors } = collection.validator.validate(input, mode);
    return { value, problems: errors };
  }
}

/**
 * Where file field values come from: `resolved` by RecordFiles (a single record's write) or the
 * server's own data (a revision, the trash); `refused` in batches and imports, which carry no bytes.
 */
export type FileValues = 'resolved' | 'refused';

function fileValueRefused(field: { name: string }): FieldError {
  return {
    path: field.name,
    code: 'fileField',
    message: `${field.name} is a file field: set it with the record's own create or update (a multipart upload), not here`,
  };
}

function referencedIds(raw: unknown): string[] {
  return (Array.isArray(raw) ? raw : raw == null ? [] : [raw]).filter((id): id is string => typeof id === 'string' && UUID.test(id));
}

function checkSize(collection: CollectionSchema, data: unknown): void {
  const tooLarge = sizeProblem(collection, data);
  if (tooLarge) throw tooLarge;
}

function sizeProblem(collection: CollectionSchema, data: unknown): PayloadTooLarge | undefined {
  const size = Buffer.byteLength(JSON.stringify(data));
  if (size <= collection.options.maxRecordBytes) return undefined;
  return new PayloadTooLarge(`The record is ${size} bytes; ${collection.name} accepts at most ${collection.options.maxRecordBytes}.`);
}
