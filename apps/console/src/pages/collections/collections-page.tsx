import { Cell, Column, Row, Table, TableBody, TableHeader } from 'react-aria-components';
import { get } from '../../api';
import type { PageProps } from '../../sections';
import { Loading, Problem } from '../../ui/status';
import { useLoad } from '../../ui/use-load';
import { CollectionDetail } from './collection-detail';
import { CreateCollection } from './create-collection';
import { RulesPage } from './rules-page';
import type { CollectionInfo } from './schema';
import './collections.css';

const home = '/_/collections';
const pageOf = (name: string, ...rest: string[]) => [home, ...[name, ...rest].map(encodeURIComponent)].join('/');

/**
 * The collections section: `/_/collections` lists them (and creates one), `/_/collections/<name>`
 * opens one (fields, indexes, rules, delete), `/_/collections/<name>/rules` edits its rules.
 */
export function CollectionsPage({ rest, navigate }: PageProps) {
  const list = useLoad((signal) => get<{ items: CollectionInfo[] }>('/collections', undefined, signal), []);
  const [open, view] = rest;

  if (list.problem && !list.data) return <Problem text={list.problem} />;
  if (!list.data) return <Loading what="collections" />;
  const collections = list.data.items;
  const names = collections.map((collection) => collection.name);
  const chosen = collections.find((collection) => collection.name === open);
  if (open !== undefined && !chosen)
    return (
      <section>
        <h1>No collection {open}</h1>
        <p>
          <a href={home} onClick={(event) => (event.preventDefault(), navigate(home))}>
            All collections
          </a>
        </p>
      </section>
    );
  if (chosen && view === 'rules')
    return <RulesPage collection={chosen} onSaved={list.reload} onBack={() => navigate(pageOf(chosen.name))} />;
  if (chosen)
    return (
      <CollectionDetail
        collection={chosen}
        collections={names}
        onChanged={list.reload}
        onDropped={() => (list.reload(), navigate(home))}
        onBack={() => navigate(home)}
        onRules={() => navigate(pageOf(chosen.name, 'rules'))}
      />
    );
  return (
    <section aria-labelledby="collections-title" className="schema">
      <div className="title-row">
        <h1 id="collections-title">Collections</h1>
        <CreateCollection onCreated={(created) => (list.reload(), navigate(pageOf(created.name)))} />
      </div>
      {collections.length === 0 ? (
        <p>No collections yet.</p>
      ) : (
        <Table aria-labelledby="collections-title" onRowAction={(key) => navigate(pageOf(String(key)))}>
          <TableHeader>
            <Column isRowHeader>Name</Column>
            <Column>Fields</Column>
            <Column>Description</Column>
          </TableHeader>
          <TableBody items={collections.map((collection) => ({ ...collection, id: collection.name }))}>
            {(collection) => (
              <Row id={collection.name} href={pageOf(collection.name)}>
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
