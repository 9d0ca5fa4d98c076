import { Injectable } from '@nestjs/common';
import { Forbidden, NotFound } from '@backlot/http';
import { UsersService } from '../../users/users.service';
import { CollectionSchema } from '../collections/collection-schema';
import { clientExpression } from '../query/client-expression';
import { compileFilter, SqlParams } from '../query/filter-compiler';
import type { RecordView } from './record-view';
import { accountCaller } from './account-caller';
import { RecordsService } from './records.service';

export interface RulePreviewInput {
  rule: string | null;
  userId: string;
  limit?: number;
}

export interface RulePreview {
  user: { id: string; email: string; role: string };
  refused: boolean;
  bypassed: boolean;
  items: RecordView[];
  more: boolean;
}

/**
 * "What would this account list under this draft rule?", for an admin editing rules. The
 * draft goes into a copy of the collection's schema and the listing is the real one
 * (RecordsService → the records query → RecordAccess), so a preview can never disagree with
 * what the rule will do once saved. It only reads: nothing is stored, cached or audited.
 */
@Injectable()
export class RulePreviewService {
  constructor(
    private readonly records: RecordsService,
    private readonly users: UsersService,
  ) {}

  async preview(collection: CollectionSchema, input: RulePreviewInput): Promise<RulePreview> {
    const account = await this.users.findById(input.userId);
    if (!account) throw new NotFound(`There is no user ${input.userId}.`);
    const draft = new CollectionSchema({ ...collection.row, rules: { ...collection.row.rules, list: input.rule } });
    // Checked for every account, admins included (whom rules never restrict), with the compiler the listing uses.
    if (input.rule !== null && input.rule.trim() !== '')
      clientExpression('rule', () =>
        compileFilter(input.rule!, { fields: draft.filterFields, me: account.id, allowHidden: true }, new SqlParams()),
      );
    const user = { id: account.id, email: account.email, role: account.role };
    const bypassed = account.role === 'admin';
    const caller = accountCaller(account);
    try {
      const page = await this.records.list(draft, caller, { limit: input.limit ?? 20 });
      return { user, refused: false, bypassed, items: page.items, more: page.nextCursor !== null };
    } catch (error) {
      if (!(error instanceof Forbidden)) throw error;
      return { user, refused: true, bypassed, items: [], more: false };
    }
  }
}
