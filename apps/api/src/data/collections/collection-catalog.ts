import { Injectable } from '@nestjs/common';
import { type CacheNamespace, CacheService } from '@backlot/cache';
import { NotFound } from '@backlot/http';
import { type CollectionRow, CollectionSchema } from './collection-schema';
import { CollectionsRepository } from './collections.repository';

const ALL = '*';

/**
 * Where every request finds a collection's compiled schema. Rows come through the shared
 * cache (so a schema change on one instance is seen by all at once); compiled schemas are
 * kept per process, keyed by id and version, so validators are built once per change.
 */
@Injectable()
export class CollectionCatalog {
  private readonly cache: CacheNamespace;
  private readonly compiled = new Map<string, CollectionSchema>();

  constructor(
    private readonly repository: CollectionsRepository,
    cache: CacheService,
  ) {
    this.cache = cache.namespace('collections');
  }

  /** The collection, or a 404 naming it. */
  async get(name: string): Promise<CollectionSchema> {
    const schema = await this.find(name);
    if (!schema) throw new NotFound(`There is no collection named ${JSON.stringify(name.slice(0, 63))}.`);
    return schema;
  }

  async find(name: string): Promise<CollectionSchema | undefined> {
    if (!/^[a-z][a-z0-9_]{0,62}$/.test(name)) return undefined;
    const row = await this.cache.getOrSet(name, async () => (await this.repository.findByName(name)) ?? null);
    return row ? this.compile(row) : undefined;
  }

  async all(): Promise<CollectionSchema[]> {
    const rows = await this.cache.getOrSet(ALL, () => this.repository.findAll());
    return rows.map((row) => this.compile(row));
  }

  /** Call after every committed schema change, on the instance that made it. */
  async changed(name: string): Promise<void> {
    await this.cache.evict([name, ALL]);
  }

  private compile(row: CollectionRow): CollectionSchema {
    const current = this.compiled.get(row.id);
    if (current && current.version === row.version && current.row.updatedAt === row.updatedAt) return current;
    const schema = new CollectionSchema(row);
    this.compiled.set(row.id, schema);
    return schema;
  }
}
