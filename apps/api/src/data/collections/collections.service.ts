import { Injectable } from '@nestjs/common';
import { DomainEvents } from '@backlot/events';
import { Conflict, type FieldError, NotFound, ValidationFailed } from '@backlot/http';
import { actorOf, AuditService, FieldEncryption, type Principal, type RequestMeta } from '@backlot/security';
import { RecordAccess } from '../access/record-access';
import { FilterError } from '../query/filter-error';
import { compileFilter } from '../query/filter-compiler';
import { CollectionCatalog } from './collection-catalog';
import {
  type CollectionOptions,
  type CollectionRow,
  type CollectionRules,
  CollectionSchema,
  DEFAULT_OPTIONS,
  DEFAULT_RULES,
  RULE_ACTIONS,
} from './collection-schema';
import { type CollectionWritten, CollectionsRepository } from './collections.repository';
import { checkCompositeIndexes, planIndexChange, renameIndexKeys } from './composite-indexes';
import { FieldIndexesRepository } from './field-indexes.repository';
import { checkFieldDefinitions, type FieldDefinition, toFilterField } from './field-definition';
import { RecordValidator } from './record-validator';
import { type FieldChangeInput, planSchemaChange } from './schema-change';

export interface CollectionInput {
  name: string;
  description?: string;
  fields: FieldChangeInput[];
  rules?: Partial<Record<keyof CollectionRules, string | null | undefined>>;
  options?: Partial<CollectionOptions>;
}

export type CollectionUpdate = Partial<Omit<CollectionInput, 'name'>> & { version?: number };

// A placeholder caller id: rules are compiled at definition time only to check them.
const SOME_USER = '00000000-0000-7000-8000-000000000000';

/** Creating, changing and dropping collections (admins), with audit and cache invalidation. */
@Injectable()
export class CollectionsService {
  constructor(
    private readonly repository: CollectionsRepository,
    private readonly catalog: CollectionCatalog,
    private readonly audit: AuditService,
    private readonly encryption: FieldEncryption,
    private readonly events: DomainEvents,
    private readonly access: RecordAccess,
    private readonly indexes: FieldIndexesRepository,
  ) {}

  async create(input: CollectionInput, principal: Principal, request: RequestMeta): Promise<CollectionRow> {
    if (await this.catalog.find(input.name)) throw new Conflict(`A collection named ${input.name} already exists.`);
    const fields = input.fields.map(({ from: _from, ...field }) => field);
    const errors = [
      ...input.fields.flatMap((field, index) =>
        field.from === undefined
          ? []
          : [{ path: `fields.${index}.from`, code: 'notApplicable', message: 'from applies to schema changes only' }],
      ),
      ...(await this.checkDefinition(fields, input.name)),
    ];
    const rules = mergeRules(DEFAULT_RULES, input.rules);
    const options = { ...DEFAULT_OPTIONS, ...defined(input.options) };
    errors.push(...checkRules(fields, rules));
    if (errors.length === 0) errors.push(...checkCompositeIndexes(options.indexes ?? [], fields));
    if (errors.length > 0) throw new ValidationFailed(errors);
    const written = await this.repository.create(
      { name: input.name, description: input.description ?? '', fields, rules, options },
      principal.userId,
    );
    const { row } = written;
    await this.catalog.changed(row.name);
    const unbuilt = await this.buildAfterCommit(written);
    await this.audited('collection.created', row, principal, request, { fields: fields.length, indexesUnbuilt: unbuilt });
    return row;
  }

  async update(name: string, input: CollectionUpdate, principal: Principal, request: RequestMeta): Promise<CollectionRow> {
    const current = await this.catalog.get(name);
    const fieldsInput = input.fields ?? current.row.fields;
    const { plan, problems } = planSchemaChange(current.id, current.row.fields, fieldsInput);
    const rules = mergeRules(current.row.rules, input.rules);
    // Declared indexes follow renamed fields unless the change sends its own list.
    const indexes = input.options?.indexes ?? renameIndexKeys(current.indexes, plan.renames);
    const errors = [...problems, ...(await this.checkDefinition(plan.fields)), ...checkRules(plan.fields, rules)];
    if (errors.length === 0) errors.push(...checkCompositeIndexes(indexes, plan.fields));
    if (errors.length > 0) throw new ValidationFailed(errors);
    plan.fills = plan.fills.map((fill) => this.sealedFill(current, plan.fields, fill));
    const options = { ...current.options, ...defined(input.options), indexes };
    const indexChange = planIndexChange(
      current.id,
      { fields: current.row.fields, indexes: current.indexes },
      { fields: plan.fields, indexes },
    );
    const written = await this.repository.alter(
      current,
      {
        description: input.description ?? current.row.description,
        rules,
        options,
        plan,
        expectedVersion: input.version,
        valueFits: (field, value) => this.valueFits(current, field, value),
        indexes: indexChange,
      },
      principal.userId,
    );
    const { row } = written;
    await this.catalog.changed(name);
    // Renames, removals and filled defaults rewrote stored records.
    await this.events.emit('collection.records-rewritten', { collectionId: current.id });
    const unbuilt = await this.buildAfterCommit(written);
    await this.audited('collection.altered', row, principal, request, {
      renamed: plan.renames,
      removed: plan.removed,
      indexesCreated: plan.createIndexes.length + indexChange.create.length,
      indexesDropped: plan.dropIndexes.length + indexChange.drop.length,
      indexesUnbuilt: unbuilt,
    });
    return row;
  }

  /**
   * Builds the declared indexes a committed change left to build without blocking writes. One
   * that fails (a statement timeout on a huge collection) is dropped rather than left invalid;
   * the start-up sync builds it again, and explain shows it missing meanwhile. Returns how many failed.
   */
  private async buildAfterCommit(written: CollectionWritten): Promise<number> {
    if (written.buildAfterCommit.length === 0) return 0;
    return (await this.indexes.buildConcurrently(written.buildAfterCommit)).length;
  }

  async drop(name: string, principal: Principal, request: RequestMeta): Promise<void> {
    const collection = await this.catalog.get(name);
    const referrers = (await this.catalog.all()).filter(
      (other) => other.id !== collection.id && other.relations.some((field) => field.collection === name),
    );
    if (referrers.length > 0)
      throw new Conflict(`Collections ${referrers.map((c) => c.name).join(', ')} have relations to ${name}; change them first.`);
    await this.repository.drop(collection);
    await this.catalog.changed(name);
    await this.audited('collection.dropped', collection.row, principal, request);
  }

  async list(principal: Principal | null): Promise<CollectionRow[]> {
    const all = await this.catalog.all();
    return all.filter((collection) => this.readable(collection, principal)).map((collection) => collection.row);
  }

  /** A collection's definition, for callers who may read some of its records. */
  async get(name: string, principal: Principal | null): Promise<CollectionRow> {
    const collection = await this.catalog.get(name);
    // The same 404 as a missing collection: its existence is not the caller's business.
    if (!this.readable(collection, principal)) throw new NotFound(`There is no collection named ${JSON.stringify(name)}.`);
    return collection.row;
  }

  private readable(collection: CollectionSchema, principal: Principal | null): boolean {
    return this.access.mayReadDefinition(collection, principal);
  }

  /** `self`: the collection being created, which its own relations may name. */
  private async checkDefinition(fields: FieldDefinition[], self?: string): Promise<FieldError[]> {
    const errors: FieldError[] = checkFieldDefinitions(fields);
    const validator = errors.length === 0 ? new RecordValidator(fields) : undefined;
    for (const [index, field] of fields.entries()) {
      if (field.type === 'relation' && field.collection && field.collection !== self && !(await this.catalog.find(field.collection)))
        errors.push({
          path: `fields.${index}.collection`,
          code: 'unknownCollection',
          message: `there is no collection ${field.collection}`,
        });
      if (validator && field.default !== undefined) {
        const { errors: defaultErrors } = validator.validate({ [field.name]: field.default }, 'patch');
        if (defaultErrors.length > 0)
          errors.push({
            path: `fields.${index}.default`,
            code: 'invalidDefault',
            message: `the default does not fit the field: ${defaultErrors[0].message}`,
          });
      }
    }
    return errors;
  }

  private valueFits(collection: CollectionSchema, field: FieldDefinition, value: unknown): boolean {
    const plain = field.encrypted && typeof value === 'string' ? this.decrypted(value, field, collection.encryptionContext) : value;
    return new RecordValidator([{ ...field, required: false }]).validate({ [field.name]: plain }, 'patch').errors.length === 0;
  }

  /** A default written into stored records is sealed like any other value of an encrypted field. */
  private sealedFill(collection: CollectionSchema, fields: FieldDefinition[], fill: { name: string; value: unknown }) {
    const field = fields.find((f) => f.name === fill.name);
    if (!field?.encrypted) return fill;
    const plain = typeof fill.value === 'string' && field.type !== 'json' ? fill.value : JSON.stringify(fill.value);
    return { name: fill.name, value: this.encryption.encrypt(plain, collection.encryptionContext) };
  }

  private decrypted(value: string, field: FieldDefinition, context: string): unknown {
    try {
      const plain = this.encryption.decrypt(value, context);
      return field.type === 'json' ? JSON.parse(plain) : plain;
    } catch {
      return value;
    }
  }

  private async audited(
    action: string,
    row: CollectionRow,
    principal: Principal,
    request: RequestMeta,
    details: Record<string, unknown> = {},
  ) {
    await this.audit.record({
      action,
      outcome: 'success',
      actor: actorOf(principal),
      target: { type: 'collection', id: row.id },
      request,
      details: { name: row.name, version: row.version, ...details },
    });
  }
}

function mergeRules(base: CollectionRules, input: CollectionInput['rules']): CollectionRules {
  const rules = { ...base };
  for (const action of RULE_ACTIONS) if (input && input[action] !== undefined) rules[action] = input[action] ?? null;
  return rules;
}

function checkRules(fields: FieldDefinition[], rules: CollectionRules): FieldError[] {
  const filterFields = fields.map(toFilterField);
  const errors: FieldError[] = [];
  for (const action of RULE_ACTIONS) {
    const rule = rules[action];
    if (!rule || rule.trim() === '') continue;
    try {
      compileFilter(rule, { fields: filterFields, me: SOME_USER, allowHidden: true });
    } catch (error) {
      if (!(error instanceof FilterError)) throw error;
      errors.push({ path: `rules.${action}`, code: error.code, message: error.message, position: error.position });
    }
  }
  return errors;
}

function defined<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}
