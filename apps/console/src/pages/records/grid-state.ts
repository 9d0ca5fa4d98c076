/** What the grid shows, kept in the address's query string so a reload or a shared link shows the same. */
export interface GridState {
  /** A filter-language expression, as typed; empty for every record. */
  filter: string;
  /** One sort key as the API takes it: `title`, `-created`; empty for creation order. */
  sort: string;
  /** The fields shown, in order; null for the collection's default choice. */
  columns: string[] | null;
  view: 'records' | 'trash';
}

/** The grid's state read from a query string (`window.location.search`). */
export function readGridState(search: string): GridState {
  const query = new URLSearchParams(search);
  const columns = query.get('columns');
  return {
    filter: query.get('filter') ?? '',
    sort: query.get('sort') ?? '',
    columns: columns === null ? null : columns.split(',').filter(Boolean),
    view: query.get('view') === 'trash' ? 'trash' : 'records',
  };
}

/** The console address of a collection's grid in this state (defaults left out of the query). */
export function gridAddress(collection: string, state: GridState): string {
  const query = new URLSearchParams();
  if (state.view === 'trash') query.set('view', 'trash');
  if (state.filter) query.set('filter', state.filter);
  if (state.sort) query.set('sort', state.sort);
  if (state.columns) query.set('columns', state.columns.join(','));
  const search = query.toString();
  return `/_/records/${encodeURIComponent(collection)}${search ? `?${search}` : ''}`;
}
