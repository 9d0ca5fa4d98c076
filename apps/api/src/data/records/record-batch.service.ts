import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, MAX_BATCH_OPERATIONS } from '@backlot/config';
import type { Queryable } from '@backlot/database';
import { DomainError, Unprocessable, ValidationFailed } from '@backlot/http';
import type { Principal } from '@backlot/security';
import { CollectionCatalog } from '../collections/collection-catalog';
import type { CollectionSchema } from '../collections/collection-schema';
import { RECORD_DOES_NOT_FIT, RecordInput } from './record-input';
import type { RecordView } from './record-view';
import { RecordsRepository } from './records.repository';
import { createRefused, RecordsService, type RetryableRequest } from './records.service';
import { IdempotencyKeys } from './idempotency';

export const MAX_BATCH = MAX_BATCH_OPERATIONS;

export type BatchOperation =
  | { action: 'create'; data: unknown }
  | { action: 'update' | 'replace'; id: string; data: unknown; ifMatch?: number }
  | { action: 'delete'; id: string; ifMatch?: number };

export interface BatchResult {
  action: BatchOperation['action'];
  id: string;
  record?: RecordView;
}

/**
 * Up to BATCH_MAX_OPERATIONS creates, updates and deletes in one all-or-nothing transaction.
 * Every operation is validated before the transaction opens (so it stays short); the first
 * failure rolls everything back and is reported with the operation's index. The embedded
 * database runs one query at a time and the transaction holds it throughout, hence its
 * lower default limit.
 */
@Injectable()
export class RecordBatchService {
  private readonly maxOperations: number;

  constructor(
    private readonly catalog: CollectionCatalog,
    private readonly records: RecordsRepository,
    private readonly service: RecordsService,
    private readonly input: RecordInput,
    private readonly idempotency: IdempotencyKeys,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.maxOperations = config.data.batchMaxOperations;
  }

  /** Runs the batch; with an Idempotency-Key a retry gets the first answer again (`replayed`) instead of running twice. */
  async run(
    collection: CollectionSchema,
    principal: Principal | null,
    operations: BatchOperation[],
    retry: RetryableRequest,
  ): Promise<{ results: BatchResult[]; replayed: boolean }> {
    const scope = { userId: principal?.userId ?? null, ip: retry.request.ip, operation: `batch ${collection.name}` };
    const outcome = await this.idempotency.run(retry.idempotencyKey, scope, operations, async () => ({
      status: 200,
      body: await this.runOnce(collection, principal, operations),
    }));
    return { results: outcome.body, replayed: outcome.replayed };
  }

  private async runOnce(collection: CollectionSchema, principal: Principal | null, operations: BatchOperation[]): Promise<BatchResult[]> {
    if (operations.length > this.maxOperations)
      throw new ValidationFailed(
        [{ path: 'operations', code: 'arrayMaxSize', message: `operations must contain no more than ${this.maxOperations} elements` }],
        `A batch holds at most ${this.maxOperations} operations here (BATCH_MAX_OPERATIONS); split it.`,
      );
    const prepared = await this.prepare(collection, principal, operations);
    const collections = await this.catalog.all();
    const results = await this.records.transaction(async (tx) => {
      const results: BatchResult[] = [];
      for (let index = 0; index < operations.length;) {
        const operation = operations[index];
        if (operation.action === 'create') {
          // A run of creates is one INSERT: the transaction holds the (embedded) database for less.
          let end = index + 1;
          while (end < operations.length && operations[end].action === 'create') end++;
          const views = await this.createRun(collection, principal, index, prepared.slice(index, end) as Record<string, unknown>[], tx);
          results.push(...views.map((record) => ({ action: 'create' as const, id: record.id, record })));
          index = end;
          continue;
        }
        results.push(
          await atOperation(index, async () => {
            const target = { id: operation.id, expectedVersion: operation.ifMatch };
            if (operation.action === 'delete') {
              await this.service.remove(collection, principal, target, { tx, collections });
              return { action: 'delete', id: operation.id };
            }
            const kind = operation.action === 'update' ? 'patch' : 'replace';
            const record = await this.service.change(collection, principal, target, kind, undefined, { data: prepared[index]!, tx });
            return { action: operation.action, id: record.id, record };
          }),
        );
        index++;
      }
      return results;
    });
    const changed = results.filter((result) => result.action !== 'create').map((result) => result.id);
    if (changed.length > 0) await this.service.forgetCached(collection, changed, collections);
    return results;
  }

  /**
   * Creates a run of operations starting at `first` in one statement. When that statement
   * fails (a unique value taken), the run is replayed one record at a time to name the
   * operation at fault; the batch is rolled back either way, so that costs only failures.
   */
  private async createRun(
    collection: CollectionSchema,
    principal: Principal | null,
    first: number,
    data: Record<string, unknown>[],
    tx: Queryable,
  ): Promise<RecordView[]> {
    let views: (RecordView | undefined)[];
    try {
      views = await this.records.savepoint(tx, () => this.service.createMany(collection, principal, data, tx));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      views = [];
      for (const [offset, fields] of data.entries())
        views.push((await atOperation(first + offset, () => this.service.createMany(collection, principal, [fields], tx)))[0]);
    }
    const refused = views.findIndex((view) => view === undefined);
    if (refused >= 0) throw ofOperation(first + refused, createRefused(collection));
    return views as RecordView[];
  }

  /**
   * Every operation's data validated, sealed and size-checked, in a few queries whatever
   * their number (thousands of concurrent reference checks would queue ahead of every other
   * caller's queries), and all before the transaction opens: it only writes.
   */
  private async prepare(
    collection: CollectionSchema,
    principal: Principal | null,
    operations: BatchOperation[],
  ): Promise<(Record<string, unknown> | undefined)[]> {
    const values = operations.map((operation, index) => {
      if (operation.action === 'delete') return undefined;
      try {
        return this.input.validated(collection, operation.data, operation.action === 'update' ? 'patch' : operation.action);
      } catch (error) {
        throw ofOperation(index, error);
      }
    });
    const problems = await this.input.referenceProblems(collection, principal, values);
    const failed = problems.findIndex((found) => found.length > 0);
    if (failed >= 0) throw ofOperation(failed, new Unprocessable(problems[failed], RECORD_DOES_NOT_FIT));
    const sealed = values.map((value) => value && this.input.seal(collection, value));
    const changes = operations.flatMap((operation, index) =>
      operation.action === 'update' || operation.action === 'replace'
        ? [
            {
              index,
              id: operation.id,
              kind: operation.action === 'update' ? ('patch' as const) : ('replace' as const),
              data: sealed[index]!,
            },
          ]
        : [],
    );
    const tooLarge = await this.input.changedSizeProblems(collection, principal, changes);
    const first = tooLarge.findIndex((problem) => problem !== undefined);
    if (first >= 0) throw ofOperation(changes[first].index, tooLarge[first]);
    return sealed;
  }
}

/** Runs one operation's step; a failure names the operation (`operations.N…` paths, `operation: N`). */
async function atOperation<T>(index: number, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw ofOperation(index, error);
  }
}

function ofOperation(index: number, error: unknown): unknown {
  if (error instanceof ValidationFailed) {
    const prefixed = error.errors.map((e) => ({ ...e, path: `operations.${index}.data.${e.path}` }));
    const Failure = error.constructor as new (errors: typeof prefixed, message: string) => ValidationFailed;
    const wrapped = new Failure(prefixed, `Operation ${index}: ${error.message}`);
    Object.assign(wrapped.extensions, error.extensions, { operation: index });
    return wrapped;
  }
  if (error instanceof DomainError) {
    error.extensions.operation = index;
    error.message = `Operation ${index}: ${error.message}`;
  }
  return error;
}
