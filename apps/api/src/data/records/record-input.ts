import { Injectable } from '@nestjs/common';
import { type FieldError, PayloadTooLarge, Unprocessable } from '@backlot/http';
import { FieldEncryption } from '@backlot/security';
import { UsersService } from '../../users/users.service';
import { CollectionCatalog } from '../collections/collection-catalog';
import type { CollectionSchema } from '../collections/collection-schema';
import type { RecordMode } from '../collections/record-validator';
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
    const size = Buffer.byteLength(JSON.stringify(input));
    if (size > collection.options.maxRecordBytes)
      throw new PayloadTooLarge(`The record is ${size} bytes; ${collection.name} accepts at most ${collection.options.maxRecordBytes}.`);
    const { value, errors } = collection.validator.validate(input, mode);
    if (errors.length > 0) return { value, problems: errors };
    return { value, problems: await this.referenceProblems(collection, value) };
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
