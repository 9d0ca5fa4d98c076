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

/**
 * Turns a client's record data into what is stored: size-checked (413), validated against
 * the compiled schema (422 with per-field errors), references checked (relations point at
 * live records, user fields at accounts), and encrypted fields sealed.
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

  /** Validated, normalized and encrypted data, or throws with every problem found. */
  async prepare(collection: CollectionSchema, input: unknown, mode: RecordMode): Promise<Record<string, unknown>> {
    const errors = await this.problems(collection, input, mode);
    if (errors.problems.length > 0) throw new Unprocessable(errors.problems, 'The record does not fit the collection’s schema.');
    return this.seal(collection, errors.value);
  }

  /** Problems of one record (used by imports, which report them per line instead of throwing). */
  async problems(
    collection: CollectionSchema,
    input: unknown,
    mode: RecordMode,
  ): Promise<{ value: Record<string, unknown>; problems: FieldError[] }> {
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      return { value: {}, problems: [{ path: '(record)', code: 'type', message: 'the record must be a JSON object' }] };
    checkSize(collection, input);
    const { value, errors } = collection.validator.validate(input, mode);
    if (errors.length > 0) return { value, problems: errors };
    return { value, problems: await this.referenceProblems(collection, value) };
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
    if (kind === 'replace' && collection.hidden.size === 0) return;
    const current = await this.records.findOne(collection, principal, id, { action: 'update' }, q);
    // Missing or not allowed: the write will match nothing and the caller explains why.
    if (!current) return;
    const kept =
      kind === 'patch'
        ? current.data
        : Object.fromEntries(Object.entries(current.data).filter(([name]) => collection.hidden.has(name) && !(name in data)));
    checkSize(collection, this.presenter.plain(collection, { ...kept, ...data }));
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

  // Runs outside any transaction (it reads users and the catalog): prepare before opening one.
  private async referenceProblems(collection: CollectionSchema, data: Record<string, unknown>): Promise<FieldError[]> {
    const problems: FieldError[] = [];
    for (const field of collection.row.fields) {
      if (field.type !== 'relation' && field.type !== 'user') continue;
      const raw = data[field.name];
      const ids = (Array.isArray(raw) ? raw : raw == null ? [] : [raw]).filter(
        (id): id is string => typeof id === 'string' && UUID.test(id),
      );
      if (ids.length === 0) continue;
      const found =
        field.type === 'user'
          ? await this.users.existingIds(ids)
          : await this.records.existing(await this.catalog.get(field.collection!), ids);
      const missing = ids.filter((id) => !found.has(id));
      if (missing.length > 0)
        problems.push({
          path: field.name,
          code: field.type === 'user' ? 'unknownUser' : 'unknownRecord',
          message: `${field.name} refers to ${field.type === 'user' ? 'no user' : `no live record of ${field.collection}`}: ${missing.slice(0, 5).join(', ')}`,
        });
    }
    return problems;
  }
}

function checkSize(collection: CollectionSchema, data: unknown): void {
  const size = Buffer.byteLength(JSON.stringify(data));
  if (size > collection.options.maxRecordBytes)
    throw new PayloadTooLarge(`The record is ${size} bytes; ${collection.name} accepts at most ${collection.options.maxRecordBytes}.`);
}
