import type { CompositeIndex } from './composite-indexes';
import { searchConfig, type TextSearchLanguage } from '../query/text-search';
import type { FilterField } from '../query/filter-fields';
import { type FieldDefinition, searchableFields, toFilterField } from './field-definition';
import { RecordValidator } from './record-validator';

export const RULE_ACTIONS = ['list', 'view', 'create', 'update', 'delete'] as const;
export type RuleAction = (typeof RULE_ACTIONS)[number];

/** Per action: null → admins only; '' → everyone (anonymous callers included); else a filter expression. */
export type CollectionRules = Record<RuleAction, string | null>;

export interface CollectionOptions {
  /** Delete moves records to the trash (restorable) instead of removing them. */
  softDelete: boolean;
  /** Trashed records are purged after this many days. */
  trashRetentionDays: number;
  /** What happens to a user's records when the account is deleted. */
  onUserDeleted: 'delete' | 'anonymize';
  /** Largest record `data`, in bytes of JSON (413 beyond). */
  maxRecordBytes: number;
  /** The text-search configuration of `q=` (TEXT_SEARCH_LANGUAGES); collections made before it existed use `simple`. */
  searchLanguage?: TextSearchLanguage;
  /** Indexes over several keys, for the filters and sorts lists use most (composite-indexes). */
  indexes?: CompositeIndex[];
}

export const DEFAULT_OPTIONS: CollectionOptions = {
  softDelete: true,
  trashRetentionDays: 30,
  onUserDeleted: 'delete',
  maxRecordBytes: 256 * 1024,
  searchLanguage: 'simple',
};
export const DEFAULT_RULES: CollectionRules = { list: null, view: null, create: null, update: null, delete: null };

/** A collection as stored (the catalog caches this plain shape). */
export interface CollectionRow {
  id: string;
  name: string;
  description: string;
  fields: FieldDefinition[];
  rules: CollectionRules;
  options: CollectionOptions;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * The compiled, in-memory form of one collection version: its validator and filter fields,
 * built once and shared by every request until the schema changes. What its rules let a
 * caller do is RecordAccess's to say (data/access).
 */
export class CollectionSchema {
  readonly validator: RecordValidator;
  readonly filterFields: FilterField[];
  readonly fieldsByName: Map<string, FieldDefinition>;
  readonly hidden: ReadonlySet<string>;
  readonly encrypted: FieldDefinition[];
  readonly searchable: FieldDefinition[];
  readonly relations: FieldDefinition[];

  constructor(readonly row: CollectionRow) {
    this.validator = new RecordValidator(row.fields);
    this.filterFields = row.fields.map(toFilterField);
    this.fieldsByName = new Map(row.fields.map((field) => [field.name, field]));
    this.hidden = new Set(row.fields.filter((field) => field.hidden).map((field) => field.name));
    this.encrypted = row.fields.filter((field) => field.encrypted);
    this.searchable = searchableFields(row.fields);
    this.relations = row.fields.filter((field) => field.type === 'relation');
  }

  get id(): string {
    return this.row.id;
  }
  get name(): string {
    return this.row.name;
  }
  get version(): number {
    return this.row.version;
  }
  /**
   * AAD of encrypted field values: binds a ciphertext to its collection (not to the field
   * name, so renaming a field keeps its values readable).
   */
  get encryptionContext(): string {
    return `records:${this.row.id}`;
  }

  get options(): CollectionOptions {
    return this.row.options;
  }

  get indexes(): CompositeIndex[] {
    return this.row.options.indexes ?? [];
  }

  get searchLanguage(): TextSearchLanguage {
    return this.row.options.searchLanguage ?? 'simple';
  }

  /** The tsvector of a record from its searchable fields, read from `dataSql` (a jsonb expression). */
  searchVector(dataSql: string): string {
    if (this.searchable.length === 0) return 'NULL::tsvector';
    const parts = this.searchable.map((field) => `coalesce(${dataSql}->>'${field.name}', '')`);
    return `to_tsvector(${searchConfig(this.searchLanguage)}, ${parts.join(" || ' ' || ")})`;
  }
}
