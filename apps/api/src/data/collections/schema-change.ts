import { fieldIndexDdl, type FieldIndexDdl } from './field-indexes';
import { type FieldDefinition, searchableFields } from './field-definition';

/** A field as sent in a schema change: `from` names the field it renames. */
export type FieldChangeInput = FieldDefinition & { from?: string };

// Options whose change can make stored values invalid: those values must be checked.
const VALUE_CONSTRAINTS: (keyof FieldDefinition)[] = [
  'type',
  'min',
  'max',
  'minLength',
  'maxLength',
  'pattern',
  'values',
  'multiple',
  'collection',
];

/** What a schema change does to stored records and indexes, worked out before anything runs. */
export interface SchemaChangePlan {
  fields: FieldDefinition[];
  renames: { from: string; to: string }[];
  removed: string[];
  /** Records lacking the field get this value (new or newly required fields with a default). */
  fills: { name: string; value: unknown }[];
  /** Newly required without a default: refused if any record lacks a value. */
  newlyRequired: FieldDefinition[];
  /** Constraints changed: every stored value is checked against the new definition. */
  revalidate: FieldDefinition[];
  newlyUnique: FieldDefinition[];
  /** Encryption switched on or off: refused while records hold values (they would need rewriting). */
  encryptionToggled: FieldDefinition[];
  dropIndexes: FieldIndexDdl[];
  createIndexes: FieldIndexDdl[];
  searchChanged: boolean;
}

export interface SchemaChangeProblem {
  path: string;
  code: string;
  message: string;
}

export function planSchemaChange(
  collectionId: string,
  before: readonly FieldDefinition[],
  input: readonly FieldChangeInput[],
): { plan: SchemaChangePlan; problems: SchemaChangeProblem[] } {
  const problems: SchemaChangeProblem[] = [];
  const old = new Map(before.map((field) => [field.name, field]));
  const claimed = new Set<string>();
  const fields: FieldDefinition[] = [];
  const plan: SchemaChangePlan = {
    fields,
    renames: [],
    removed: [],
    fills: [],
    newlyRequired: [],
    revalidate: [],
    newlyUnique: [],
    encryptionToggled: [],
    dropIndexes: [],
    createIndexes: [],
    searchChanged: false,
  };
  const pairs: { before?: FieldDefinition; after: FieldDefinition }[] = [];
  input.forEach(({ from, ...field }, index) => {
    fields.push(field);
    const sourceName = from ?? field.name;
    const source = old.get(sourceName);
    if (from !== undefined && !source) {
      problems.push({ path: `fields.${index}.from`, code: 'unknownField', message: `there is no field ${from} to rename` });
    } else if (source && claimed.has(sourceName)) {
      problems.push({ path: `fields.${index}.from`, code: 'duplicate', message: `${sourceName} is renamed or kept twice` });
    } else if (from !== undefined && from !== field.name && old.has(field.name) && !input.some((f) => f.from === field.name)) {
      problems.push({
        path: `fields.${index}.name`,
        code: 'duplicateName',
        message: `${field.name} still exists; remove or rename it first`,
      });
    }
    if (source) claimed.add(sourceName);
    if (source && source.name !== field.name) plan.renames.push({ from: source.name, to: field.name });
    pairs.push({ before: source, after: field });
  });
  plan.removed = before.filter((field) => !claimed.has(field.name)).map((field) => field.name);

  for (const { before: prior, after } of pairs) {
    if (after.default !== undefined && (!prior || (after.required && !prior.required)))
      plan.fills.push({ name: after.name, value: after.default });
    // A new field counts as newly required too: existing records have no value for it.
    if (after.required && !prior?.required && after.default === undefined) plan.newlyRequired.push(after);
    if (!prior) continue;
    if (VALUE_CONSTRAINTS.some((key) => JSON.stringify(prior[key]) !== JSON.stringify(after[key]))) plan.revalidate.push(after);
    if (after.unique && !prior.unique) plan.newlyUnique.push(after);
    if (Boolean(after.encrypted) !== Boolean(prior.encrypted)) plan.encryptionToggled.push(after);
  }

  // Indexes are named by collection and field, so a rename or a changed definition drops and recreates.
  const beforeDdl = new Map(before.map((field) => [field.name, fieldIndexDdl(collectionId, field)]));
  const afterDdl = new Map(fields.map((field) => [field.name, fieldIndexDdl(collectionId, field)]));
  for (const [name, ddl] of beforeDdl) if (ddl && afterDdl.get(name)?.create[0] !== ddl.create[0]) plan.dropIndexes.push(ddl);
  for (const [name, ddl] of afterDdl) if (ddl && beforeDdl.get(name)?.create[0] !== ddl.create[0]) plan.createIndexes.push(ddl);

  const searchable = (list: readonly FieldDefinition[]) =>
    searchableFields(list)
      .map((f) => f.name)
      .join(',');
  // Defaults filled into a searchable field change what records are found by.
  plan.searchChanged =
    searchable(before) !== searchable(fields) || plan.fills.some((fill) => searchableFields(fields).some((f) => f.name === fill.name));
  return { plan, problems };
}
