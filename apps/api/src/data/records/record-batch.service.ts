import { Injectable } from '@nestjs/common';
import { DomainError, ValidationFailed } from '@backlot/http';
import type { Principal } from '@backlot/security';
import { CollectionCatalog } from '../collections/collection-catalog';
import type { CollectionSchema } from '../collections/collection-schema';
import { RecordInput } from './record-input';
import type { RecordView } from './record-view';
import { RecordsRepository } from './records.repository';
import { RecordsService } from './records.service';

export const MAX_BATCH = 1_000;

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
 * Up to 1,000 creates, updates and deletes in one all-or-nothing transaction. Every
 * operation is validated before the transaction opens (so it stays short); the first
 * failure rolls everything back and is reported with the operation's index.
 */
@Injectable()
export class RecordBatchService {
  constructor(
    private readonly catalog: CollectionCatalog,
    private readonly records: RecordsRepository,
    private readonly service: RecordsService,
    private readonly input: RecordInput,
  ) {}

  async run(collection: CollectionSchema, principal: Principal | null, operations: BatchOperation[]): Promise<BatchResult[]> {
    const prepared = await Promise.all(
      operations.map(async (operation, index) =>
        operation.action === 'delete'
          ? undefined
          : atOperation(index, () =>
              this.input.prepare(collection, operation.data, operation.action === 'update' ? 'patch' : operation.action),
            ),
      ),
    );
    const collections = await this.catalog.all();
    const results = await this.records.transaction(async (tx) => {
      const results: BatchResult[] = [];
      for (const [index, operation] of operations.entries()) {
        results.push(
          await atOperation(index, async () => {
            if (operation.action === 'create') {
              const record = await this.service.create(collection, principal, undefined, { data: prepared[index]!, tx });
              return { action: 'create', id: record.id, record };
            }
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
      }
      return results;
    });
    const changed = results.filter((result) => result.action !== 'create').map((result) => result.id);
    if (changed.length > 0) await this.service.forgetCached(collection, changed, collections);
    return results;
  }
}

/** Runs one operation's step; a failure names the operation (`operations.N…` paths, `operation: N`). */
async function atOperation<T>(index: number, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof ValidationFailed) {
      const prefixed = error.errors.map((e) => ({ ...e, path: `operations.${index}.data.${e.path}` }));
      const Failure = error.constructor as new (errors: typeof prefixed, message: string) => ValidationFailed;
      const wrapped = new Failure(prefixed, `Operation ${index}: ${error.message}`);
      Object.assign(wrapped.extensions, error.extensions, { operation: index });
      throw wrapped;
    }
    if (error instanceof DomainError) {
      error.extensions.operation = index;
      error.message = `Operation ${index}: ${error.message}`;
    }
    throw error;
  }
}
