import { Injectable } from '@nestjs/common';
import { NotFound, Unprocessable } from '@backlot/http';
import type { Principal } from '@backlot/security';
import type { CollectionSchema } from '../collections/collection-schema';
import { RecordFiles } from '../files/record-files';
import { RecordCache } from './record-cache';
import { RecordInput } from './record-input';
import type { ListQuery } from './record-queries.repository';
import { RecordPresenter, type RecordView } from './record-view';
import { RecordsRepository, type RecordTarget } from './records.repository';
import type { RecordShape } from './record-shape';
import { notFound, type RecordPage, RecordsService } from './records.service';

export interface RevisionView {
  version: number;
  action: string;
  data: Record<string, unknown>;
  actor: string | null;
  at: string;
}

/** History (revisions, restore to one) and trash (list, restore, purge). */
@Injectable()
export class RecordHistoryService {
  constructor(
    private readonly records: RecordsRepository,
    private readonly service: RecordsService,
    private readonly input: RecordInput,
    private readonly presenter: RecordPresenter,
    private readonly cache: RecordCache,
    private readonly files: RecordFiles,
  ) {}

  /** Revisions, newest first; whoever may view the record (live or trashed) may read its history. */
  async history(
    collection: CollectionSchema,
    principal: Principal | null,
    id: string,
    page: { before?: number; limit: number },
  ): Promise<{ items: RevisionView[]; nextBefore: number | null }> {
    if (!(await this.records.findOne(collection, principal, id, { liveness: 'any' }))) throw notFound(collection, id);
    const rows = await this.records.revisions(id, { beforeVersion: page.before, limit: page.limit + 1 });
    const items = rows
      .slice(0, page.limit)
      .map((row) => ({
        version: row.version,
        action: row.action,
        data: this.presenter.data(collection, row.data),
        actor: row.actor_id,
        at: row.at.toISOString(),
      }));
    return { items, nextBefore: rows.length > page.limit ? items[items.length - 1].version : null };
  }

  /**
   * Writes a revision's data back as a new version (update rule). Fields removed from the
   * schema since are dropped, and so are files the record no longer has (keepStored); anything
   * else the current schema refuses is a 422. Files of the current version that the revision
   * does not have are left to the files sweep.
   */
  async restoreRevision(
    collection: CollectionSchema,
    principal: Principal | null,
    target: RecordTarget,
    version: number,
  ): Promise<RecordView> {
    if (!(await this.records.findOne(collection, principal, target.id))) throw notFound(collection, target.id);
    const revision = await this.records.revision(target.id, version);
    if (!revision) throw new NotFound(`Record ${target.id} has no revision ${version}.`);
    const plain = this.presenter.plain(collection, revision.data);
    const fitting = Object.fromEntries(Object.entries(plain).filter(([name]) => collection.fieldsByName.has(name)));
    const current = await this.files.keepStored(collection, target.id, fitting);
    const { value, problems } = await this.input.problems(collection, principal, current, 'replace', 'resolved');
    if (problems.length > 0) throw new Unprocessable(problems, `Revision ${version} does not fit the collection’s current schema.`);
    const row = await this.records.update(collection, principal, target, { kind: 'restore', data: this.input.seal(collection, value) });
    if (!row) return this.service.explainMiss(collection, principal, target, 'update');
    await this.cache.evict(collection, [row.id]);
    return this.presenter.view(collection, row);
  }

  trash(collection: CollectionSchema, principal: Principal | null, query: ListQuery & RecordShape): Promise<RecordPage> {
    return this.service.list(collection, principal, { ...query, trashed: true });
  }

  /**
   * Takes a record out of the trash (delete rule). Schema changes only checked live
   * records, so the trashed data must fit the current schema again (422 otherwise).
   */
  async untrash(collection: CollectionSchema, principal: Principal | null, id: string): Promise<RecordView> {
    const missing = () => new NotFound(`There is no record ${id} in the trash of ${collection.name} that you may restore.`);
    const trashed = await this.records.findOne(collection, principal, id, { action: 'delete', liveness: 'trashed' });
    if (!trashed) throw missing();
    const { problems } = await this.input.problems(
      collection,
      principal,
      this.presenter.plain(collection, trashed.data),
      'replace',
      'resolved',
    );
    if (problems.length > 0) throw new Unprocessable(problems, 'The trashed record does not fit the collection’s current schema.');
    const row = await this.records.untrash(collection, principal, id);
    if (!row) throw missing();
    return this.presenter.view(collection, row);
  }

  async purge(collection: CollectionSchema, principal: Principal | null, id: string): Promise<void> {
    const row = await this.records.remove(collection, principal, { id }, 'purge', undefined, 'trashed');
    if (!row) throw new NotFound(`There is no record ${id} in the trash of ${collection.name} that you may purge.`);
  }
}
