import { Injectable } from '@nestjs/common';
import { NotFound } from '@backlot/http';
import type { Principal } from '@backlot/security';
import { UsersService } from '../../users/users.service';
import type { CollectionSchema } from '../collections/collection-schema';
import { compositeIndexName } from '../collections/composite-indexes';
import { fieldIndexName } from '../collections/field-indexes';
import { FieldIndexesRepository } from '../collections/field-indexes.repository';
import { accountCaller } from './account-caller';
import type { ListQuery } from './record-queries.repository';
import { RecordQueriesRepository } from './record-queries.repository';

export interface ListExplainInput extends Omit<ListQuery, 'limit' | 'trashed'> {
  limit?: number;
  as?: string;
  analyze?: boolean;
}

export interface ExplainedIndex {
  name: string;
  kind: 'declared' | 'field';
  fields: string[];
  unique: boolean;
  state: 'ready' | 'notReady' | 'missing';
  used: boolean;
}

export interface ListExplain {
  statement: string;
  plan: string[];
  analyzed: boolean;
  indexes: ExplainedIndex[];
}

/**
 * "Why is this list slow?" for admins: the plan of the statement a listing sends (the same
 * code builds it), as a given account would send it, with the collection's own indexes, the
 * state of each and whether the plan reads it. See docs/indexes.md for reading a plan.
 */
@Injectable()
export class ListExplainService {
  constructor(
    private readonly queries: RecordQueriesRepository,
    private readonly users: UsersService,
    private readonly indexes: FieldIndexesRepository,
  ) {}

  async explain(collection: CollectionSchema, admin: Principal, input: ListExplainInput): Promise<ListExplain> {
    const caller = input.as ? await this.account(input.as) : admin;
    const query = { filter: input.filter, sort: input.sort, q: input.q, cursor: input.cursor, limit: input.limit ?? 20 };
    const { sql, plan } = await this.queries.explain(collection, caller, query, input.analyze === true);
    const text = plan.join('\n');
    const existing = await this.indexes.existing();
    const state = (name: string): ExplainedIndex['state'] =>
      !existing.indexes.has(name) ? 'missing' : existing.invalid.has(name) ? 'notReady' : 'ready';
    const used = (name: string) => new RegExp(`\\b${name}\\b`).test(text);
    const indexes: ExplainedIndex[] = [
      ...collection.indexes.map((index) => {
        const name = compositeIndexName(collection.id, index);
        return {
          name,
          kind: 'declared' as const,
          fields: index.fields,
          unique: index.unique === true,
          state: state(name),
          used: used(name),
        };
      }),
      ...collection.row.fields
        .filter((field) => field.indexed || field.unique)
        .map((field) => {
          const name = fieldIndexName(collection.id, field.name);
          return {
            name,
            kind: 'field' as const,
            fields: [field.name],
            unique: field.unique === true,
            state: state(name),
            used: used(name),
          };
        }),
    ];
    return { statement: sql, plan, analyzed: input.analyze === true, indexes };
  }

  private async account(userId: string): Promise<Principal> {
    const account = await this.users.findById(userId);
    if (!account) throw new NotFound(`There is no user ${userId}.`);
    return accountCaller(account);
  }
}
