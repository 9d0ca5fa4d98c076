import { Injectable } from '@nestjs/common';
import type { Principal } from '@backlot/security';
import { CollectionCatalog } from '../collections/collection-catalog';
import type { CollectionSchema } from '../collections/collection-schema';
import { compileFilter, SqlParams } from '../query/filter-compiler';
import { clientExpression } from '../records/record-list';
import { RecordsRepository } from '../records/records.repository';
import { type AggregateGroup, Aggregation } from './aggregate-query';

export interface AggregateRequest {
  groupBy?: string;
  metrics?: string;
  filter?: string;
  limit: number;
}

export interface AggregateReport {
  groups: AggregateGroup[];
  truncated: boolean;
  /** The groups as rows under a header of key and metric names (CSV). */
  table(): unknown[][];
}

/** Reports over a collection's records: grouped counts, sums, averages and extremes, under the list rule. */
@Injectable()
export class AggregateService {
  constructor(
    private readonly catalog: CollectionCatalog,
    private readonly records: RecordsRepository,
  ) {}

  collection(name: string): Promise<CollectionSchema> {
    return this.catalog.get(name);
  }

  async aggregate(collection: CollectionSchema, principal: Principal | null, request: AggregateRequest): Promise<AggregateReport> {
    const params = new SqlParams();
    // The rule comes first: a caller refused the list gets a 403, not hints about field names.
    const where = [this.records.scope(collection, principal, 'list', params, 'live')];
    const allowHidden = principal?.role === 'admin';
    const aggregation = Aggregation.parse(collection.row.fields, request, { allowHidden });
    if (request.filter) {
      const filter = request.filter;
      where.push(
        clientExpression(
          'filter',
          () => compileFilter(filter, { fields: collection.filterFields, me: principal?.userId ?? null, allowHidden }, params).sql,
        ),
      );
    }
    const rows = await this.records.select<Record<string, unknown>>(
      collection,
      aggregation.sql(where, params, request.limit),
      params.values,
    );
    const groups = rows.slice(0, request.limit).map((row) => aggregation.group(row));
    return { groups, truncated: rows.length > request.limit, table: () => aggregation.table(groups) };
  }
}
