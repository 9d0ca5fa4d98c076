import { useEffect, useState } from 'react';
import { Cell, Column, Row, Table, TableBody, TableHeader } from 'react-aria-components';
import { client, describe } from '../api';
import type { PageProps } from '../sections';

interface FieldDefinition {
  name: string;
  type: string;
  required?: boolean;
  hidden?: boolean;
  [option: string]: unknown;
}

export interface CollectionInfo {
  id: string;
  name: string;
  description: string;
  fields: FieldDefinition[];
  rules?: Record<string, string | null | undefined>;
  version: number;
}

const RULES = ['list', 'view', 'create', 'update', 'delete'] as const;
/** What a field definition says besides these is shown as its options. */
const PLAIN = new Set(['name', 'type', 'required', 'hidden']);

/** The collections section: `/_/collections` lists them, `/_/collections/<name>` opens one. */
export function CollectionsPage({ rest, navigate }: PageProps) {
  return (
    <Collections
      open={rest[0]}
      onOpen={(name) => navigate(name === null ? '/_/collections' : `/_/collections/${encodeURIComponent(name)}`)}
    />
  );
}

/** Every collection, with its fields and rules; choosing one opens it. */
function Collections({ open, onOpen }: { open?: string; onOpen(name: string | null): void }) {
  const [collections, setCollections] = useState<CollectionInfo[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    client
      .call<{ items: CollectionInfo[] }>({ method: 'GET', path: '/collections', idempotent: true })
      .then((answer) => setCollections(answer.data.items))
      .catch((error: unknown) => setProblem(describe(error)));
  }, []);

  if (problem)
    return (
      <p role="alert" className="problem">
        {problem}
      </p>
    );
  if (!collections) return <p aria-live="polite">Loading collections…</p>;
  const chosen = collections.find((collection) => collection.name === open);
  if (chosen) return <CollectionDetail collection={chosen} onBack={() => onOpen(null)} />;
  return (
    <section aria-labelledby="collections-title">
      <h1 id="collections-title">Collections</h1>
      {collections.length === 0 ? (
        <p>No collections yet. Create one with POST /api/v1/collections (see the API docs under /docs).</p>
      ) : (
        <Table aria-labelledby="collections-title" onRowAction={(key) => onOpen(String(key))}>
          <TableHeader>
            <Column isRowHeader>Name</Column>
            <Column>Fields</Column>
            <Column>Description</Column>
          </TableHeader>
          <TableBody items={collections}>
            {(collection) => (
              <Row id={collection.name} href={`/_/collections/${encodeURIComponent(collection.name)}`}>
                <Cell>{collection.name}</Cell>
                <Cell>{collection.fields.length}</Cell>
                <Cell>{collection.description}</Cell>
              </Row>
            )}
          </TableBody>
        </Table>
      )}
    </section>
  );
}

/** null: admins only; empty: anyone; otherwise the condition, as written. */
function ruleText(rule: string | null | undefined) {
  if (rule === null || rule === undefined) return <em>admins only</em>;
  if (rule === '') return <em>anyone</em>;
  return <code>{rule}</code>;
}

function CollectionDetail({ collection, onBack }: { collection: CollectionInfo; onBack(): void }) {
  return (
    <section aria-labelledby="collection-title">
      <p>
        <a href="/_/" onClick={(event) => (event.preventDefault(), onBack())}>
          ← All collections
        </a>
      </p>
      <h1 id="collection-title">{collection.name}</h1>
      {collection.description && <p>{collection.description}</p>}
      <h2 id="fields-title">Fields</h2>
      <Table aria-labelledby="fields-title">
        <TableHeader>
          <Column isRowHeader>Name</Column>
          <Column>Type</Column>
          <Column>Required</Column>
          <Column>Options</Column>
        </TableHeader>
        <TableBody items={collection.fields.map((field) => ({ ...field, id: field.name }))}>
          {(field) => (
            <Row>
              <Cell>
                {field.name}
                {field.hidden ? ' (hidden)' : ''}
              </Cell>
              <Cell>{field.type}</Cell>
              <Cell>{field.required ? 'yes' : 'no'}</Cell>
              <Cell>
                <code>{JSON.stringify(Object.fromEntries(Object.entries(field).filter(([key]) => !PLAIN.has(key) && key !== 'id')))}</code>
              </Cell>
            </Row>
          )}
        </TableBody>
      </Table>
      <h2>Rules</h2>
      <dl className="rules">
        {RULES.map((rule) => (
          <div key={rule}>
            <dt>{rule}</dt>
            <dd>{ruleText(collection.rules?.[rule])}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
