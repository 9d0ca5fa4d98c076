import { Inject, Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import type { WrittenAlong } from '../records/records.repository';
import { BadRequest, type FieldError, parseJsonText, RECORD_JSON_MAX_DEPTH, RequestTimeout, Unprocessable } from '@backlot/http';
import type { Principal } from '@backlot/security';
import type { CollectionSchema } from '../collections/collection-schema';
import type { FieldDefinition } from '../collections/field-definition';
import { MAX_FILES_PER_FIELD } from '../collections/file-field-options';
import { type FileRef, fileKey } from './file-ref';
import { formValue } from './form-values';
import { FileUploads } from './file-uploads';
import { readMultipart } from './multipart-reader';
import { StoredFilesRepository, type StoredUpload } from './stored-files.repository';

/** A multipart/form-data request body, still unread: the record write reads it as it streams. */
export class MultipartBody {
  constructor(
    readonly stream: Readable,
    readonly headers: IncomingHttpHeaders,
  ) {}
}

/** The form part that carries record fields as one JSON object. */
export const JSON_PART = '@json';
const FORM_FIELD_BYTES = 1024 * 1024;
const MAX_FORM_FIELDS = 1_000;

/**
 * A record write with its files worked out: the body as the validator and the row get it (file
 * fields hold FileRefs), the objects this write stored, and those it drops from the record.
 */
export interface FileWrite {
  body: unknown;
  added: StoredUpload[];
  dropped: string[];
  /** What identifies the request for Idempotency-Key (file bytes by their SHA-256, not their random names). */
  fingerprint: unknown;
}

type Kind = 'create' | 'patch' | 'replace';

/** How a file joins a field: in place of its files, or after them (multiple fields). */
export type AttachMode = 'set' | 'add';

/**
 * Turns a record write (JSON or multipart) into a FileWrite. Clients never send FileRefs: a file
 * field takes uploaded parts (`field` sets the field's files, `field+` adds to a multiple one)
 * and, to keep or reorder stored files, their names (`"photos": ["a_x1.png"]`; a whole FileRef
 * as a GET returned it counts as its name); `field-` lists names to remove and null clears.
 * Anything else would let a client point a record at bytes it never uploaded.
 */
@Injectable()
export class RecordFiles {
  constructor(
    private readonly uploads: FileUploads,
    private readonly files: StoredFilesRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Whether this write needs the files path (the JSON path of a collection without file fields does not). */
  static involved(collection: CollectionSchema, input: unknown): boolean {
    return input instanceof MultipartBody || collection.row.fields.some((field) => field.type === 'file');
  }

  async read(
    collection: CollectionSchema,
    principal: Principal | null,
    recordId: string,
    input: unknown,
    kind: Kind,
    current: Record<string, unknown> | undefined,
  ): Promise<FileWrite> {
    const uploads = new Map<string, FileRef[]>();
    let body = input;
    if (input instanceof MultipartBody) {
      try {
        body = await this.readForm(collection, principal, recordId, input, uploads);
      } catch (error) {
        await this.uploads.discard(keysOf(uploadsOf(collection, recordId, [...uploads.values()].flat())));
        throw error;
      }
    }
    const added = uploadsOf(collection, recordId, [...uploads.values()].flat());
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return { body, added, dropped: [], fingerprint: body };
    try {
      return this.compose(collection, recordId, { ...(body as Record<string, unknown>) }, uploads, kind, current, added);
    } catch (error) {
      await this.uploads.discard(keysOf(added));
      throw error;
    }
  }

  /**
   * A patch that puts one already stored file into a field (a finished resumable upload): `set`
   * replaces the field's files, `add` appends to a multiple field. Worked out against `current`
   * like a multipart `field` / `field+` part, so the same limits (maxFiles, single fields) apply.
   */
  attach(
    collection: CollectionSchema,
    recordId: string,
    field: FieldDefinition,
    mode: AttachMode,
    ref: FileRef,
    current: Record<string, unknown>,
  ): FileWrite {
    const uploads = new Map([[mode === 'add' ? `${field.name}+` : field.name, [ref]]]);
    return this.compose(collection, recordId, {}, uploads, 'patch', current, uploadsOf(collection, recordId, [ref]));
  }

  /**
   * Stored data (a revision being restored) with file fields cut to the files the record still
   * has: a file a later write replaced or removed is gone for good, and restoring its revision
   * leaves it out rather than pointing at bytes that no longer exist.
   */
  async keepStored(collection: CollectionSchema, recordId: string, data: Record<string, unknown>): Promise<Record<string, unknown>> {
    const fields = collection.row.fields.filter((field) => field.type === 'file' && field.name in data);
    if (fields.length === 0) return data;
    const live = new Set((await this.files.liveOf(collection.id, recordId)).map((file) => file.name));
    const kept = { ...data };
    for (const field of fields) {
      const refs = refsOf(data[field.name]).filter((ref) => live.has(ref.name));
      kept[field.name] = field.multiple ? refs : (refs[0] ?? null);
    }
    return kept;
  }

  /** What the record write must also write (in its own statement) for its files; undefined when it changes none. */
  settling(write: FileWrite): WrittenAlong | undefined {
    return write.added.length + write.dropped.length > 0 ? this.files.settling(write.added, write.dropped) : undefined;
  }

  /** The write failed or was a replay: what it stored goes. */
  discard(write: FileWrite): Promise<void> {
    return this.uploads.discard(keysOf(write.added));
  }

  /** The write committed: the files it dropped go. */
  release(write: FileWrite): Promise<void> {
    return this.uploads.discard(write.dropped);
  }

  private async readForm(
    collection: CollectionSchema,
    principal: Principal | null,
    recordId: string,
    body: MultipartBody,
    uploads: Map<string, FileRef[]>,
  ): Promise<Record<string, unknown>> {
    const limits = {
      fields: MAX_FORM_FIELDS,
      fieldBytes: FORM_FIELD_BYTES,
      files: this.config.files.maxPerRequest,
      fileBytes: this.config.storage.maxFileBytes,
    };
    const deadline = this.uploads.deadline(
      (seconds) =>
        new RequestTimeout(
          `The request was still sending its files after ${seconds} s (FILES_UPLOAD_TIMEOUT_SECONDS); nothing of it was kept. ` +
            'Send large files over slow links as resumable uploads.',
        ),
    );
    const pairs = await readMultipart(body.stream, body.headers, limits, deadline.signal, async (part) => {
      const name = part.field.endsWith('+') ? part.field.slice(0, -1) : part.field;
      const field = collection.fieldsByName.get(name);
      if (!field || field.type !== 'file') {
        part.stream.resume();
        throw new BadRequest(`${part.field.slice(0, 64)} is not a file field of ${collection.name}; file parts are named after one.`);
      }
      // A browser sends an empty part for a file input left empty.
      if (part.fileName === '') return void part.stream.resume();
      const storedBefore = [...uploads.values()].flat().reduce((bytes, ref) => bytes + ref.size, 0);
      const ownerId = principal?.userId || null;
      const ref = await this.uploads.store({ ...part, collection, field, recordId, ownerId, storedBefore, deadline: deadline.signal });
      uploads.set(part.field, [...(uploads.get(part.field) ?? []), ref]);
    }).finally(() => deadline.clear());
    const form: Record<string, unknown> = {};
    for (const [name, text] of pairs) {
      if (text.includes('\u0000')) throw new BadRequest(`The form field ${name.slice(0, 64)} contains a NUL character.`);
      if (name === JSON_PART) {
        const parsed = parseJsonText(text, RECORD_JSON_MAX_DEPTH, JSON_PART);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw new BadRequest(`The ${JSON_PART} part must be a JSON object of record fields.`);
        Object.assign(form, parsed);
        continue;
      }
      const field = collection.fieldsByName.get(name.endsWith('-') ? name.slice(0, -1) : name);
      const value = formValue(field, text);
      const listed = name.endsWith('-') || field?.multiple;
      form[name] = listed ? [...((form[name] as unknown[] | undefined) ?? []), value] : value;
    }
    return form;
  }

  private compose(
    collection: CollectionSchema,
    recordId: string,
    body: Record<string, unknown>,
    uploads: Map<string, FileRef[]>,
    kind: Kind,
    current: Record<string, unknown> | undefined,
    added: StoredUpload[],
  ): FileWrite {
    const problems: FieldError[] = [];
    const dropped: string[] = [];
    const fingerprint: Record<string, unknown> = { ...body };
    for (const field of collection.row.fields) {
      if (field.type !== 'file') continue;
      const stored = refsOf(current?.[field.name]);
      const removals = body[`${field.name}-`];
      delete body[`${field.name}-`];
      const set = uploads.get(field.name);
      const appended = uploads.get(`${field.name}+`);
      let next: FileRef[] | undefined;
      if (field.name in body) next = this.kept(field, body[field.name], stored, problems);
      if (removals !== undefined) {
        const names = new Set(namesOf(removals));
        next = (next ?? stored).filter((ref) => !names.has(ref.name));
      }
      if (set) next = [...(field.name in body ? (next ?? []) : []), ...set];
      if (appended) {
        if (!field.multiple)
          problems.push({ path: `${field.name}+`, code: 'notMultiple', message: `${field.name} holds one file: send it as ${field.name}` });
        next = [...(next ?? stored), ...appended];
      }
      if (next === undefined && kind === 'replace') next = [];
      if (next === undefined) {
        delete body[field.name];
        continue;
      }
      const most = field.multiple ? (field.maxFiles ?? MAX_FILES_PER_FIELD) : 1;
      if (next.length > most)
        problems.push({
          path: field.name,
          code: 'tooManyFiles',
          message: `${field.name} holds at most ${most} file${most === 1 ? '' : 's'}; this write leaves ${next.length}`,
        });
      const kept = new Set(next.map((ref) => ref.name));
      for (const ref of stored) if (!kept.has(ref.name)) dropped.push(fileKey(collection.id, recordId, ref.name));
      body[field.name] = field.multiple ? next : (next[0] ?? null);
      fingerprint[field.name] = next.map((ref) => ref.sha256);
    }
    if (problems.length > 0) throw new Unprocessable(problems, 'The record’s files do not fit the collection’s schema.');
    return { body, added, dropped, fingerprint };
  }

  /** The stored files a client names to keep (in the order named); unknown names are problems. */
  private kept(field: FieldDefinition, value: unknown, stored: FileRef[], problems: FieldError[]): FileRef[] {
    if (value === null) return [];
    const byName = new Map(stored.map((ref) => [ref.name, ref]));
    const names = namesOf(value);
    if (names === undefined) {
      problems.push({
        path: field.name,
        code: 'fileField',
        message: `${field.name} takes uploaded files; to keep stored ones send their names`,
      });
      return stored;
    }
    const unknown = names.filter((name) => !byName.has(name));
    if (unknown.length > 0)
      problems.push({
        path: field.name,
        code: 'unknownFile',
        message: `${field.name} has no stored file ${unknown.slice(0, 3).join(', ')}`,
      });
    return [...new Set(names)].flatMap((name) => byName.get(name) ?? []);
  }
}

/** Names from a client's value: a name, a FileRef (as a GET returned it), or a list of either; undefined for anything else. */
function namesOf(value: unknown): string[] | undefined {
  const items = Array.isArray(value) ? value : [value];
  const names = items.map((item) =>
    typeof item === 'string'
      ? item
      : typeof item === 'object' && item !== null && typeof (item as FileRef).name === 'string'
        ? (item as FileRef).name
        : undefined,
  );
  return names.every((name): name is string => name !== undefined) ? names : undefined;
}

export function refsOf(value: unknown): FileRef[] {
  return (Array.isArray(value) ? value : value ? [value] : []).filter(
    (ref): ref is FileRef => typeof ref === 'object' && ref !== null && typeof (ref as FileRef).name === 'string',
  );
}

/** The objects these refs are, as stored_files settles them. */
export function uploadsOf(collection: CollectionSchema, recordId: string, refs: FileRef[]): StoredUpload[] {
  return refs.map((ref) => ({ key: fileKey(collection.id, recordId, ref.name), size: ref.size, type: ref.type, sha256: ref.sha256 }));
}

function keysOf(uploads: readonly StoredUpload[]): string[] {
  return uploads.map((upload) => upload.key);
}
