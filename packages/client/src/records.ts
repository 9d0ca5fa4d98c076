import type { Filter } from './filter.js';
import type { CallOptions, HttpAnswer, HttpRequest } from './http.js';
import type { FieldProblem } from './problem.js';
import type { ProgressListener } from './progress.js';

/** What every record has besides its fields. */
export interface RecordBase {
  id: string;
  owner: string | null;
  version: number;
  created: string;
  updated: string;
  deleted?: string;
  expand?: Record<string, unknown>;
}

/**
 * A record as the server returns it: the system fields and T's. When T declares `expand` (the
 * types `backlot typegen` writes do, from their relation fields), `record.expand` is typed by it.
 */
export type RecordOf<T> = RecordBase & T;

/** What a write sends: any of T's fields, but not `expand` (reads fill it in; the server refuses it). */
export type RecordData<T> = Partial<Omit<T, 'expand'>>;

export interface ReadOptions extends CallOptions {
  /** Only these fields (and the system ones). */
  fields?: string[];
  /** Relation fields whose records come along under `expand`. */
  expand?: string[];
}

export interface ListOptions extends ReadOptions {
  /** Build it with filter`…` so values are bound safely; a fixed text works too. */
  filter?: Filter | string;
  /** `-created,title`: up to 5 keys, `-` for descending. */
  sort?: string;
  limit?: number;
  cursor?: string;
  /** Full-text search over the collection's searchable fields. */
  q?: string;
  /** Adds `total` (one more query on the server). */
  count?: boolean;
}

export interface Page<T> {
  items: RecordOf<T>[];
  nextCursor: string | null;
  total?: number;
}

/** A file to upload: a Blob or File (a browser's file input gives Files), or a Blob with the name to store it under. */
export type FileInput = Blob | { data: Blob; name: string };

/**
 * Files sent with a write, by form part: `photo` sets a field's file(s), `attachments+` adds to a
 * multiple field's files. To remove stored files, send the names to keep in the data (or
 * `'attachments-': [names]` in a patch).
 */
export type FileParts = Record<string, FileInput | FileInput[]>;

export interface WriteOptions extends CallOptions {
  /** Uploads with the write (the request becomes multipart/form-data). */
  files?: FileParts;
  /** Called as the files' bytes are sent. */
  onUploadProgress?: ProgressListener;
  /**
   * `If-Match`: the write applies only at this version (412 otherwise). Given a record rather
   * than an id, its version is used unless this is `false`.
   */
  ifMatch?: number | false;
}

export interface CreateOptions extends CallOptions {
  /** Uploads with the create (the request becomes multipart/form-data). */
  files?: FileParts;
  /** Called as the files' bytes are sent. */
  onUploadProgress?: ProgressListener;
  /** Sent as Idempotency-Key (one is made when left out), so a retried create never makes two records. */
  idempotencyKey?: string;
}

export type BatchOperation<T> =
  | { action: 'create'; data: RecordData<T> }
  | { action: 'update'; id: string; data: RecordData<T>; ifMatch?: number }
  | { action: 'replace'; id: string; data: RecordData<T>; ifMatch?: number }
  | { action: 'delete'; id: string; ifMatch?: number };

export interface BatchResult<T> {
  action: BatchOperation<T>['action'];
  id: string;
  record?: RecordOf<T>;
}

export interface AggregateOptions extends CallOptions {
  /** `status, owner` (up to the server's limit of keys). */
  groupBy?: string;
  /** `count,sum(amount),avg(amount)`. */
  metrics: string;
  filter?: Filter | string;
  limit?: number;
}

export interface ExportOptions extends CallOptions {
  /** `ndjson` (the default: one JSON record per line) or `csv`. */
  format?: 'ndjson' | 'csv';
  /** Only the records this matches (and the list rule lets the caller see). */
  filter?: Filter | string;
}

export interface ImportOptions extends CallOptions {
  /** `atomic` (the default): every record or none, a 422 ProblemError listing the failures; `skip`: the valid ones. */
  mode?: 'atomic' | 'skip';
  /** `new` (the default): new ids, the caller owns them; `keep`: each record keeps its `id`, so importing an export again changes nothing. */
  ids?: 'new' | 'keep';
  /** A Blob's format when its type does not say (default ndjson). */
  format?: 'ndjson' | 'csv';
}

export interface ImportResult {
  imported: number;
  replaced: number;
  failed: number;
  /** The failed lines (`skip`), at most the first 100. */
  errors: { line: number; errors: FieldProblem[] }[];
}

const TRANSFER_TYPES = { ndjson: 'application/x-ndjson', csv: 'text/csv' } as const;

/** The calls a collection makes through its client (auth headers, refresh on 401, retries). */
export interface RecordsTransport {
  call<T>(request: HttpRequest): Promise<HttpAnswer<T>>;
}

type Target = string | RecordBase;

/**
 * The records of one collection: typed by `T`, the collection's fields (see `backlot typegen`
 * in the docs for generated types, or write them by hand).
 */
export class Collection<T extends object = Record<string, unknown>> {
  private readonly base: string;

  constructor(
    private readonly transport: RecordsTransport,
    readonly name: string,
  ) {
    this.base = `/collections/${encodeURIComponent(name)}`;
  }

  async list(options: ListOptions = {}): Promise<Page<T>> {
    const { filter, sort, limit, cursor, q, count, fields, expand, signal } = options;
    const query = { filter: filter?.toString(), sort, limit, cursor, q, count, fields: fields?.join(','), expand: expand?.join(',') };
    return (await this.transport.call<Page<T>>({ method: 'GET', path: `${this.base}/records`, query, signal, idempotent: true })).data;
  }

  /** Every record the list matches, page after page, as they are read (`for await (const todo of todos.iterate())`). */
  async *iterate(options: Omit<ListOptions, 'cursor' | 'count'> = {}): AsyncGenerator<RecordOf<T>> {
    let cursor: string | undefined;
    do {
      const page = await this.list({ ...options, cursor });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  async get(id: string, options: ReadOptions = {}): Promise<RecordOf<T>> {
    const query = { fields: options.fields?.join(','), expand: options.expand?.join(',') };
    const path = `${this.base}/records/${encodeURIComponent(id)}`;
    return (await this.transport.call<RecordOf<T>>({ method: 'GET', path, query, signal: options.signal, idempotent: true })).data;
  }

  async create(data: RecordData<T>, options: CreateOptions = {}): Promise<RecordOf<T>> {
    const key = options.idempotencyKey ?? globalThis.crypto.randomUUID();
    const request: HttpRequest = {
      method: 'POST',
      path: `${this.base}/records`,
      body: withFiles(data, options.files),
      headers: { 'idempotency-key': key },
      signal: options.signal,
      onUploadProgress: options.onUploadProgress,
      idempotent: true,
    };
    return (await this.transport.call<RecordOf<T>>(request)).data;
  }

  /** Changes the fields given and keeps the others (PATCH). */
  update(target: Target, data: RecordData<T>, options: WriteOptions = {}): Promise<RecordOf<T>> {
    return this.write('PATCH', target, data, options);
  }

  /** Writes the whole record: fields left out get their default or are cleared (PUT). */
  replace(target: Target, data: RecordData<T>, options: WriteOptions = {}): Promise<RecordOf<T>> {
    return this.write('PUT', target, data, options);
  }

  /** To the trash when the collection keeps one; for good otherwise. */
  async delete(target: Target, options: WriteOptions = {}): Promise<void> {
    await this.transport.call({ method: 'DELETE', ...this.addressed(target, options), signal: options.signal });
  }

  /** Up to the server's limit of operations, all applied or none (one transaction). */
  async batch(operations: BatchOperation<T>[], options: CallOptions = {}): Promise<BatchResult<T>[]> {
    const request: HttpRequest = { method: 'POST', path: `${this.base}/batch`, body: { operations }, signal: options.signal };
    return (await this.transport.call<{ results: BatchResult<T>[] }>(request)).data.results;
  }

  async aggregate(options: AggregateOptions): Promise<{ groups: Record<string, unknown>[]; truncated: boolean }> {
    const query = { groupBy: options.groupBy, metrics: options.metrics, filter: options.filter?.toString(), limit: options.limit };
    const answer = await this.transport.call<{ groups: Record<string, unknown>[] }>({
      method: 'GET',
      path: `${this.base}/aggregate`,
      query,
      signal: options.signal,
      idempotent: true,
    });
    return { groups: answer.data.groups, truncated: answer.headers.get('x-truncated') === 'true' };
  }

  /** The records as an NDJSON or CSV file, under the list rule: save it, or read it with `.text()`. */
  async export(options: ExportOptions = {}): Promise<Blob> {
    const query = { format: options.format ?? 'ndjson', filter: options.filter?.toString() };
    const path = `${this.base}/export`;
    return (await this.transport.call<Blob>({ method: 'GET', path, query, signal: options.signal, idempotent: true, responseType: 'blob' }))
      .data;
  }

  /**
   * Creates records from a list, or from an NDJSON or CSV file (an export imports as it is),
   * under the create rule. Sent once: an import is not retried.
   */
  async import(records: RecordData<T>[] | Blob, options: ImportOptions = {}): Promise<ImportResult> {
    const format = options.format ?? (records instanceof Blob && records.type.startsWith(TRANSFER_TYPES.csv) ? 'csv' : 'ndjson');
    const body = records instanceof Blob ? records : new Blob([records.map((record) => JSON.stringify(record)).join('\n')]);
    const request: HttpRequest = {
      method: 'POST',
      path: `${this.base}/import`,
      query: { mode: options.mode, ids: options.ids },
      body,
      headers: { 'content-type': TRANSFER_TYPES[format] },
      signal: options.signal,
    };
    return (await this.transport.call<ImportResult>(request)).data;
  }

  private async write(method: 'PATCH' | 'PUT', target: Target, data: RecordData<T>, options: WriteOptions): Promise<RecordOf<T>> {
    const addressed = this.addressed(target, options);
    // With If-Match a repeat cannot apply twice: the first success moved the version on.
    const body = withFiles(data, options.files);
    const { signal, onUploadProgress } = options;
    const request: HttpRequest = { method, ...addressed, body, signal, onUploadProgress, idempotent: 'if-match' in addressed.headers };
    return (await this.transport.call<RecordOf<T>>(request)).data;
  }

  private addressed(target: Target, options: WriteOptions): { path: string; headers: Record<string, string> } {
    const id = typeof target === 'string' ? target : target.id;
    const version = options.ifMatch === false ? undefined : (options.ifMatch ?? (typeof target === 'string' ? undefined : target.version));
    return { path: `${this.base}/records/${encodeURIComponent(id)}`, headers: version === undefined ? {} : { 'if-match': `"${version}"` } };
  }
}

/** The body of a write: the data as JSON, or with files a form whose `@json` part holds the data. */
function withFiles(data: object, files: FileParts | undefined): unknown {
  if (!files || Object.keys(files).length === 0) return data;
  const form = new FormData();
  form.append('@json', JSON.stringify(data));
  for (const [part, value] of Object.entries(files))
    for (const file of [value].flat()) {
      if (file instanceof Blob) form.append(part, file, (file as Partial<File>).name ?? part);
      else form.append(part, file.data, file.name);
    }
  return form;
}
