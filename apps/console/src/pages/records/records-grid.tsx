import { useState } from 'react';
import { Button, Link, type Selection, Tab, TabList, TabPanel, Tabs } from 'react-aria-components';
import { ProblemError } from '@backlot/client';
import { describe, get } from '../../api';
import { ConfirmButton } from '../../ui/confirm';
import { Loading, Problem } from '../../ui/status';
import { useLoad } from '../../ui/use-load';
import type { CollectionInfo } from '../collections';
import { deleteRecords, fromTrash } from './grid-actions';
import { ColumnChoice } from './grid-columns';
import { FilterBox, type FilterProblem } from './grid-filter';
import { usePages } from './grid-pages';
import { gridAddress, type GridState, readGridState } from './grid-state';
import { RecordTable } from './grid-table';
import { TransferButtons } from './transfer';
import { defaultColumns, type GridRecord, shownFields, SYSTEM_COLUMNS } from './grid-values';
import './grid.css';

interface GridProps {
  collection: string | undefined;
  navigate(to: string): void;
}

/** `/_/records`: choose a collection; `/_/records/<collection>`: its records (or its trash) in a grid. */
export function RecordsGrid({ collection, navigate }: GridProps) {
  if (collection === undefined) return <CollectionChoice />;
  return <CollectionGrid key={collection} name={collection} navigate={navigate} />;
}

function CollectionChoice() {
  const { data, problem } = useLoad((signal) => get<{ items: CollectionInfo[] }>('/collections', undefined, signal), []);
  return (
    <section aria-labelledby="records-title">
      <h1 id="records-title">Records</h1>
      <Problem text={problem} />
      {!data && !problem && <Loading what="collections" />}
      {data?.items.length === 0 && <p>No collections yet: create one first.</p>}
      {data && data.items.length > 0 && (
        <>
          <p>Choose a collection to see its records.</p>
          <ul className="grid-collections">
            {data.items.map((item) => (
              <li key={item.name}>
                <Link href={`/_/records/${encodeURIComponent(item.name)}`}>{item.name}</Link>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function CollectionGrid({ name, navigate }: { name: string; navigate(to: string): void }) {
  const path = `/collections/${encodeURIComponent(name)}`;
  const schema = useLoad((signal) => get<CollectionSchema>(path, undefined, signal), [path]);
  if (!schema.data) {
    return (
      <section aria-labelledby="records-title">
        <h1 id="records-title">{name}</h1>
        <Problem text={schema.problem} />
        {!schema.problem && <Loading what="the collection" />}
      </section>
    );
  }
  return <Grid collection={schema.data} navigate={navigate} />;
}

/** Moves to another state of the grid without taking focus from the control the operator used. */
function keepingFocus(go: () => void) {
  const active = document.activeElement;
  go();
  if (active instanceof HTMLElement && active.isConnected) active.focus();
}

type CollectionSchema = CollectionInfo & { options?: { softDelete?: boolean } };

function Grid({ collection, navigate }: { collection: CollectionSchema; navigate(to: string): void }) {
  const state = readGridState(window.location.search);
  const fields = collection.fields;
  const available = [...shownFields(fields).map((field) => field.name), ...SYSTEM_COLUMNS];
  const known = state.columns?.filter((column) => available.includes(column));
  const columns = known?.length ? known : defaultColumns(fields);
  const dataColumns = columns.filter((column) => !(SYSTEM_COLUMNS as readonly string[]).includes(column));
  const trash = state.view === 'trash';
  const base = `/collections/${encodeURIComponent(collection.name)}`;
  const pages = usePages(`${base}/${trash ? 'trash' : 'records'}`, {
    filter: state.filter || undefined,
    sort: state.sort || undefined,
    fields: dataColumns.length ? dataColumns.join(',') : undefined,
  });
  const [selected, setSelected] = useState<Selection>(new Set());
  const [restoring, setRestoring] = useState(false);
  const [actionProblem, setActionProblem] = useState<string | null>(null);

  const update = (next: Partial<GridState>) => {
    setSelected(new Set());
    setActionProblem(null);
    keepingFocus(() => navigate(gridAddress(collection.name, { ...state, ...next })));
  };
  const ids = selected === 'all' ? pages.items.map((record) => record.id) : [...selected].map(String);
  const done = () => {
    setSelected(new Set());
    pages.reload();
  };
  const restore = () => {
    setRestoring(true);
    setActionProblem(null);
    fromTrash(collection.name, ids, 'restore')
      .then(done, (error: unknown) => setActionProblem(describe(error)))
      .finally(() => setRestoring(false));
  };
  const { filterProblem, listProblem } = problemsOf(pages.error);
  const shown = `${pages.items.length.toLocaleString()}${pages.total === undefined ? '' : ` of ${pages.total.toLocaleString()}`}`;

  return (
    <section aria-labelledby="records-title" className="grid-page">
      <div className="grid-heading">
        <h1 id="records-title">{collection.name}</h1>
        <Link href={`/_/records/${encodeURIComponent(collection.name)}/new`} className="react-aria-Link grid-new">
          New record
        </Link>
        <TransferButtons collection={collection.name} onImported={pages.reload} />
        <Link href="/_/records" className="react-aria-Link grid-back">
          All collections
        </Link>
      </div>
      <div className="grid-toolbar">
        <FilterBox applied={state.filter} problem={filterProblem} onApply={(filter) => update({ filter })} />
        <ColumnChoice available={available} chosen={columns} onChoose={(chosen) => update({ columns: chosen })} />
      </div>
      <Tabs selectedKey={state.view} onSelectionChange={(view) => update({ view: view === 'trash' ? 'trash' : 'records' })}>
        <div className="grid-tabs">
          <TabList aria-label="Records or trash">
            <Tab id="records">Records</Tab>
            <Tab id="trash">Trash</Tab>
          </TabList>
          <div className="grid-status">
            <p aria-live="polite">
              {pages.loading ? 'Loading…' : `${shown} ${trash ? 'trashed ' : ''}records loaded`}
              {ids.length > 0 && `, ${ids.length} selected`}
            </p>
            {ids.length > 0 && !trash && (
              <ConfirmButton
                label={`Delete ${ids.length} selected`}
                title={`Delete ${ids.length} record${ids.length === 1 ? '' : 's'}?`}
                action="Delete"
                onConfirm={() => deleteRecords(collection.name, ids).then(done)}
              >
                <p>
                  {collection.options?.softDelete === false
                    ? 'This collection keeps no trash: they are deleted for good.'
                    : 'They go to the trash, from where they can be restored.'}
                </p>
              </ConfirmButton>
            )}
            {ids.length > 0 && trash && (
              <>
                <Button className="react-aria-Button quiet" isDisabled={restoring} onPress={restore}>
                  Restore {ids.length} selected
                </Button>
                <ConfirmButton
                  label={`Delete ${ids.length} for good`}
                  title={`Delete ${ids.length} record${ids.length === 1 ? '' : 's'} for good?`}
                  action="Delete for good"
                  onConfirm={() => fromTrash(collection.name, ids, 'purge').then(done)}
                >
                  <p>They cannot be restored afterwards.</p>
                </ConfirmButton>
              </>
            )}
          </div>
        </div>
        {(['records', 'trash'] as const).map((view) => (
          <TabPanel key={view} id={view} className="grid-panel">
            {view === state.view && (
              <>
                <Problem text={actionProblem ?? listProblem} />
                <RecordTable
                  label={trash ? `Trash of ${collection.name}` : `Records of ${collection.name}`}
                  fields={fields}
                  columns={trash ? [...columns, 'deleted'] : columns}
                  pages={pages}
                  sort={state.sort}
                  onSort={(sort) => update({ sort })}
                  selected={selected}
                  onSelect={setSelected}
                  rowHref={
                    trash
                      ? undefined
                      : (record: GridRecord) => `/_/records/${encodeURIComponent(collection.name)}/${encodeURIComponent(record.id)}`
                  }
                  empty={state.filter ? 'No records match the filter.' : trash ? 'The trash is empty.' : 'No records yet.'}
                />
              </>
            )}
          </TabPanel>
        ))}
      </Tabs>
    </section>
  );
}

/** A refused filter (with the position the server names) apart from any other failure of the list. */
function problemsOf(error: unknown): { filterProblem?: FilterProblem; listProblem?: string } {
  if (error === undefined) return {};
  if (error instanceof ProblemError && error.status === 400 && error.field('filter')) {
    const position = error.body.position ?? (error.field('filter') as { position?: unknown } | undefined)?.position;
    return { filterProblem: { message: error.detail, position: typeof position === 'number' ? position : undefined } };
  }
  return { listProblem: describe(error) };
}
