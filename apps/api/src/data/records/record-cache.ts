import { Injectable, type OnModuleInit } from '@nestjs/common';
import { type CacheNamespace, CacheService } from '@backlot/cache';
import { DomainEvents } from '@backlot/events';
import type { Principal } from '@backlot/security';
import { RecordAccess } from '../access/record-access';
import type { CollectionSchema } from '../collections/collection-schema';
import { NotEvaluable } from '../query/filter-evaluator';
import type { RecordRow } from './record-row';
import { RecordsRepository } from './records.repository';

/** A live record as cached: JSON-safe, with microsecond timestamps for the rule predicate. */
interface CachedRecord {
  id: string;
  owner_id: string | null;
  data: Record<string, unknown>;
  version: number;
  created_us: string;
  updated_us: string;
}

// Ids read once recently, per process: a record is cached from its second read on.
const RECENT_LIMIT = 10_000;
/**
 * Records larger than this (characters of JSON) are read from the database every time. The
 * cache is bounded by entries (CACHE_MEMORY_MAX_ITEMS), and records may be up to
 * maxRecordBytes (256 KB by default): this keeps the in-memory cache's worst case at
 * entries × 8 KB (80 MB at the default 10,000) instead of gigabytes.
 */
export const MAX_CACHED_RECORD_CHARS = 8 * 1024;

/**
 * Hot record reads through the shared cache. Entries hold the stored row, not a caller's
 * view: the view rule is applied on every read by a JavaScript predicate that answers
 * exactly as the SQL would (rules that depend on database collation fall back to a query),
 * so a cached answer never shows a record the rules hide. Every write evicts its records,
 * on every instance; bulk rewrites (schema changes, cascades, account deletion) drop the
 * collection's whole namespace. Only hot records are cached: a first read is answered by
 * SQL alone (rule in the WHERE clause), so scattered one-off reads do not pay for filling
 * and churning the cache; a record read again soon after is loaded into it.
 */
@Injectable()
export class RecordCache implements OnModuleInit {
  private readonly namespaces = new Map<string, CacheNamespace>();
  private recent = new Set<string>();

  constructor(
    private readonly cache: CacheService,
    private readonly records: RecordsRepository,
    private readonly access: RecordAccess,
    private readonly events: DomainEvents,
  ) {}

  onModuleInit(): void {
    this.events.on('collection.records-rewritten', ({ collectionId }) => this.invalidate(collectionId));
  }

  /** The record if the caller may view it, undefined if not or missing. */
  async find(collection: CollectionSchema, principal: Principal | null, id: string): Promise<RecordRow | undefined> {
    const predicate = this.access.predicate(collection, 'view', principal);
    const namespace = this.namespace(collection.id);
    let cached = await namespace.get<CachedRecord>(id);
    if (cached === undefined) {
      if (!this.readBefore(`${collection.id}:${id}`)) return this.records.findOne(collection, principal, id);
      cached = toCached(await this.records.findLive(collection, id));
      if (!cached) return undefined;
      if (JSON.stringify(cached.data).length <= MAX_CACHED_RECORD_CHARS) await namespace.set(id, cached);
    }
    if (predicate) {
      try {
        const record = {
          id: cached.id,
          owner: cached.owner_id,
          created: Number(cached.created_us),
          updated: Number(cached.updated_us),
          data: cached.data,
        };
        if (!predicate(record, { me: principal?.userId ?? null })) return undefined;
      } catch (error) {
        if (!(error instanceof NotEvaluable)) throw error;
        return this.records.findOne(collection, principal, id);
      }
    }
    return toRow(cached);
  }

  evict(collection: CollectionSchema, ids: readonly string[]): Promise<void> {
    return this.namespace(collection.id).evict(ids);
  }

  /** Drops every cached record of the collection (its id), on every instance. */
  invalidate(collectionId: string): Promise<void> {
    return this.namespace(collectionId).invalidate();
  }

  /** Whether this record was read recently (and forget it: the cache holds it from now on). */
  private readBefore(key: string): boolean {
    if (this.recent.delete(key)) return true;
    if (this.recent.size >= RECENT_LIMIT) this.recent = new Set();
    this.recent.add(key);
    return false;
  }

  private namespace(collectionId: string): CacheNamespace {
    let namespace = this.namespaces.get(collectionId);
    if (!namespace) {
      namespace = this.cache.namespace(`records.${collectionId}`);
      this.namespaces.set(collectionId, namespace);
    }
    return namespace;
  }
}

function toCached(row: (RecordRow & { created_us: string; updated_us: string }) | undefined): CachedRecord | undefined {
  if (!row) return undefined;
  return {
    id: row.id,
    owner_id: row.owner_id,
    data: row.data,
    version: row.version,
    created_us: row.created_us,
    updated_us: row.updated_us,
  };
}

function toRow(cached: CachedRecord): RecordRow {
  const date = (micros: string) => new Date(Math.floor(Number(micros) / 1000));
  return {
    id: cached.id,
    owner_id: cached.owner_id,
    data: cached.data,
    version: cached.version,
    created_at: date(cached.created_us),
    updated_at: date(cached.updated_us),
    deleted_at: null,
  };
}
