import { Injectable } from '@nestjs/common';
import type { Principal } from '@backlot/security';
import type { CollectionSchema } from '../collections/collection-schema';
import { RecordAccess } from '../access/record-access';
import { RecordQueriesRepository } from '../records/record-queries.repository';
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
    private readonly queries: RecordQueriesRepository,
    private readonly access: RecordAccess,
  ) {}

  async aggregate(collection: CollectionSchema, principal: Principal | null, request: AggregateRequest): Promise<AggregateReport> {
    // The rule comes first: a caller refused the list gets a 403, not hints about field names.
    this.access.requireOpen(collection, 'list', principal);
    const aggregation = Aggregation.parse(collection.row.fields, request, { allowHidden: this.access.seesHidden(principal) });
    const rows = await this.queries.aggregate(collection, principal, {
      clauses: aggregation.clauses(),
      filter: request.filter,
      limit: request.limit,
    });
    const groups = rows.slice(0, request.limit).map((row) => aggregation.group(row));
    return { groups, truncated: rows.length > request.limit, table: () => aggregation.table(groups) };
  }
}
