import { Cell, Column, Row, Table, TableBody, TableHeader } from 'react-aria-components';
import { send } from '../../api';
import { ConfirmButton } from '../../ui/confirm';
import { CollectionSettings } from './collection-settings';
import { FieldDialog } from './field-dialog';
import { type CollectionInfo, type FieldDefinition, optionSummary, RULE_ACTIONS } from './schema';

interface CollectionDetailProps {
  collection: CollectionInfo;
  /** Every collection's name (relation targets). */
  collections: string[];
  onChanged(collection: CollectionInfo): void;
  onDropped(): void;
  onBack(): void;
  onRules(): void;
}

/** null: admins only; empty: anyone; otherwise the condition, as written. */
function ruleText(rule: string | null | undefined) {
  if (rule === null || rule === undefined) return <em>admins only</em>;
  if (rule.trim() === '') return <em>anyone</em>;
  return <code>{rule}</code>;
}

/** One collection: its fields (add, change, rename, remove), the indexes they make, its rules, and dropping it. */
export function CollectionDetail({ collection, collections, onChanged, onDropped, onBack, onRules }: CollectionDetailProps) {
  const path = `/collections/${encodeURIComponent(collection.name)}`;
  const saveFields = async (fields: FieldDefinition[]) =>
    onChanged(await send<CollectionInfo>('PATCH', path, { fields, version: collection.version }));
  const rulesHref = `/_/collections/${encodeURIComponent(collection.name)}/rules`;

  return (
    <section aria-labelledby="collection-title" className="schema">
      <p>
        <a href="/_/collections" onClick={(event) => (event.preventDefault(), onBack())}>
          ← All collections
        </a>
      </p>
      <div className="title-row">
        <h1 id="collection-title">{collection.name}</h1>
        <span className="hint">version {collection.version}</span>
        <ConfirmButton
          label="Delete collection"
          title={`Delete ${collection.name}?`}
          typeToConfirm={collection.name}
          action="Delete for good"
          onConfirm={async () => {
            await send('DELETE', path);
            onDropped();
          }}
        >
          <p>Every record of {collection.name}, its history and its files go with it. This cannot be undone.</p>
        </ConfirmButton>
      </div>
      {collection.description && <p>{collection.description}</p>}

      <div className="title-row">
        <h2 id="settings-title">Settings</h2>
        <CollectionSettings collection={collection} onChanged={onChanged} />
      </div>
      <dl className="options" aria-labelledby="settings-title">
        {Object.entries(collection.options ?? {}).map(([option, value]) => (
          <div key={option}>
            <dt>{option}</dt>
            <dd>{String(value)}</dd>
          </div>
        ))}
      </dl>

      <div className="title-row">
        <h2 id="fields-title">Fields</h2>
        <FieldDialog
          label="Add field"
          index={collection.fields.length}
          collections={collections}
          onSave={(field) => saveFields([...collection.fields, field])}
        />
      </div>
      <Table aria-labelledby="fields-title">
        <TableHeader>
          <Column isRowHeader>Name</Column>
          <Column>Type</Column>
          <Column>Required</Column>
          <Column>Options</Column>
          <Column>Actions</Column>
        </TableHeader>
        <TableBody
          items={collection.fields.map((field, index) => ({ field, index, id: field.name }))}
          renderEmptyState={() => 'No fields yet.'}
        >
          {({ field, index }) => (
            <Row>
              <Cell>
                {field.name}
                {field.hidden ? ' (hidden)' : ''}
              </Cell>
              <Cell>{field.type}</Cell>
              <Cell>{field.required ? 'yes' : 'no'}</Cell>
              <Cell>
                <code>{optionSummary(field)}</code>
              </Cell>
              <Cell>
                <div className="row-actions">
                  <FieldDialog
                    label="Edit"
                    ariaLabel={`Edit ${field.name}`}
                    quiet
                    field={field}
                    index={index}
                    collections={collections}
                    onSave={(changed) => saveFields(collection.fields.map((other, at) => (at === index ? changed : other)))}
                  />
                  <ConfirmButton
                    label={`Remove ${field.name}`}
                    title={`Remove the field ${field.name}?`}
                    action="Remove"
                    onConfirm={() => saveFields(collection.fields.filter((_, at) => at !== index))}
                  >
                    <p>Its values are removed from every record.</p>
                  </ConfirmButton>
                </div>
              </Cell>
            </Row>
          )}
        </TableBody>
      </Table>

      <h2 id="indexes-title">Indexes</h2>
      <p className="hint">
        A field index covers one field: mark a field <em>unique</em> or <em>indexed</em> in its options. Declared indexes cover several keys
        for a filter and a sort together; they are set with <code>options.indexes</code> and checked with the explain view (see
        docs/indexes.md).
      </p>
      <Table aria-labelledby="indexes-title">
        <TableHeader>
          <Column isRowHeader>Keys</Column>
          <Column>Kind</Column>
        </TableHeader>
        <TableBody items={indexRows(collection)} renderEmptyState={() => 'No indexes.'}>
          {(row) => (
            <Row>
              <Cell>{row.keys}</Cell>
              <Cell>{row.kind}</Cell>
            </Row>
          )}
        </TableBody>
      </Table>

      <div className="title-row">
        <h2>Rules</h2>
        <a
          href={rulesHref}
          onClick={(event) => {
            event.preventDefault();
            onRules();
          }}
        >
          Edit rules and try them
        </a>
      </div>
      <dl className="rules">
        {RULE_ACTIONS.map((rule) => (
          <div key={rule}>
            <dt>{rule}</dt>
            <dd>{ruleText(collection.rules?.[rule])}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

/** The collection's field indexes, then its declared ones (`options.indexes`), as table rows. */
function indexRows(collection: CollectionInfo): { id: string; keys: string; kind: string }[] {
  const declared = (collection.options?.indexes ?? []) as { fields: string[]; unique?: boolean }[];
  return [
    ...collection.fields
      .filter((field) => field.unique || field.indexed)
      .map((field) => ({ id: `field:${field.name}`, keys: field.name, kind: field.unique ? 'unique field' : 'indexed field' })),
    ...declared.map((index, at) => ({
      id: `declared:${at}`,
      keys: index.fields.join(', '),
      kind: index.unique ? 'declared, unique' : 'declared',
    })),
  ];
}
