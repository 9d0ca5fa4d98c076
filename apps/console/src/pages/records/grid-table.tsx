import {
  Cell,
  Checkbox,
  Collection,
  Column,
  type Selection,
  type SortDescriptor,
  Row,
  Table,
  TableBody,
  TableHeader,
  TableLayout,
  TableLoadMoreItem,
  Virtualizer,
} from 'react-aria-components';
import type { Pages } from './grid-pages';
import { cellText, type FieldInfo, type GridRecord, sortable } from './grid-values';

const SELECT = '\u0000select';
const ROW_HEIGHT = 36;

/** A column's starting width in pixels, by what it holds (a virtualized table needs fixed widths). */
function columnWidth(name: string, field: FieldInfo | undefined): number {
  if (name === 'id' || name === 'owner' || field?.type === 'relation' || field?.type === 'user') return 300;
  if (name === 'created' || name === 'updated' || name === 'deleted' || field?.type === 'datetime') return 220;
  if (field?.type === 'number' || field?.type === 'integer' || field?.type === 'boolean') return 110;
  if (field?.type === 'select') return 130;
  return 220;
}

interface RecordTableProps {
  label: string;
  fields: FieldInfo[];
  columns: string[];
  pages: Pages;
  /** `title` or `-title`; empty for the API's order. */
  sort: string;
  onSort(sort: string): void;
  selected: Selection;
  onSelect(selection: Selection): void;
  /** The console address a row opens, if rows open anything. */
  rowHref?(record: GridRecord): string;
  empty: string;
}

/**
 * The records of one list route in a virtualized table: only the rows in view are in the DOM,
 * and scrolling near the end fetches the next page with the cursor. Headers sort; checkboxes select.
 */
export function RecordTable({ label, fields, columns, pages, sort, onSort, selected, onSelect, rowHref, empty }: RecordTableProps) {
  const byName = new Map(fields.map((field) => [field.name, field]));
  const descriptor: SortDescriptor | undefined = sort
    ? { column: sort.replace(/^-/, ''), direction: sort.startsWith('-') ? 'descending' : 'ascending' }
    : undefined;
  const headers = [{ id: SELECT }, ...columns.map((name) => ({ id: name }))];

  return (
    <Virtualizer layout={TableLayout} layoutOptions={{ rowHeight: ROW_HEIGHT, headingHeight: ROW_HEIGHT + 4, loaderHeight: ROW_HEIGHT }}>
      <Table
        aria-label={label}
        className="react-aria-Table grid-table"
        selectionMode="multiple"
        selectedKeys={selected}
        onSelectionChange={onSelect}
        sortDescriptor={descriptor}
        onSortChange={({ column, direction }) => onSort(`${direction === 'descending' ? '-' : ''}${String(column)}`)}
      >
        <TableHeader columns={headers}>
          {(header) =>
            header.id === SELECT ? (
              <Column width={48} minWidth={48}>
                <Checkbox slot="selection">
                  <span className="box" aria-hidden="true" />
                </Checkbox>
              </Column>
            ) : (
              <Column
                isRowHeader={header.id === columns[0]}
                allowsSorting={sortable(header.id, byName.get(header.id))}
                minWidth={90}
                defaultWidth={columnWidth(header.id, byName.get(header.id))}
              >
                {({ sortDirection }) => (
                  <>
                    {header.id}
                    <span className="grid-sort" aria-hidden="true">
                      {sortDirection === 'ascending' ? ' ▲' : sortDirection === 'descending' ? ' ▼' : ''}
                    </span>
                  </>
                )}
              </Column>
            )
          }
        </TableHeader>
        <TableBody
          dependencies={[columns]}
          renderEmptyState={() => (pages.loading ? 'Loading…' : empty)}
          className="react-aria-TableBody grid-body"
        >
          <Collection items={pages.items} dependencies={[columns]}>
            {(record) => (
              <Row id={record.id} columns={headers} href={rowHref?.(record)}>
                {(header) =>
                  header.id === SELECT ? (
                    <Cell>
                      <Checkbox slot="selection">
                        <span className="box" aria-hidden="true" />
                      </Checkbox>
                    </Cell>
                  ) : (
                    <Cell>
                      <span className="grid-cell">{cellText(record[header.id], byName.get(header.id))}</span>
                    </Cell>
                  )
                }
              </Row>
            )}
          </Collection>
          {pages.hasMore && (
            <TableLoadMoreItem onLoadMore={pages.loadMore} isLoading={pages.loadingMore} className="grid-loading">
              Loading more records…
            </TableLoadMoreItem>
          )}
        </TableBody>
      </Table>
    </Virtualizer>
  );
}
