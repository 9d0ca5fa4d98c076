import { useCallback, useEffect, useRef, useState } from 'react';
import { get } from '../../api';
import type { GridRecord } from './grid-values';

/** Records fetched per request: a screenful several times over, far below what a collection may hold. */
export const PAGE_SIZE = 100;

interface Page {
  items: GridRecord[];
  nextCursor: string | null;
  total?: number;
}

export interface Pages {
  items: GridRecord[];
  /** The number of matches (asked for with the first page). */
  total?: number;
  /** There are records after the last one fetched. */
  hasMore: boolean;
  /** The first page is on its way (the old items stay on screen until it comes). */
  loading: boolean;
  /** A next page is on its way. */
  loadingMore: boolean;
  /** The last request's failure, as thrown (a ProblemError for a refusal). */
  error?: unknown;
  /** Fetches the next page, when there is one and none is on its way. */
  loadMore(): void;
  /** Starts again from the first page (after a change the page made). */
  reload(): void;
}

type Query = Record<string, string | number | boolean | undefined>;

/**
 * A list route read page by page with its cursor: the first page when `path` or `query` change,
 * the next one each time `loadMore` is called. Never more than one request at a time; a request
 * overtaken by a new query is aborted and its answer dropped.
 */
export function usePages(path: string, query: Query): Pages {
  const key = JSON.stringify([path, query]);
  const [round, setRound] = useState(0);
  const [state, setState] = useState<{ items: GridRecord[]; cursor: string | null; total?: number; error?: unknown }>({
    items: [],
    cursor: null,
  });
  const [busy, setBusy] = useState<'first' | 'more' | null>('first');
  const current = useRef<{ key: string; abort: AbortController } | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    current.current = { key, abort };
    setBusy('first');
    const [where, params] = JSON.parse(key) as [string, Query];
    get<Page>(where, { ...params, limit: PAGE_SIZE, count: true }, abort.signal).then(
      (page) => {
        if (abort.signal.aborted) return;
        setState({ items: page.items, cursor: page.nextCursor, total: page.total });
        setBusy(null);
      },
      (error: unknown) => {
        if (abort.signal.aborted) return;
        setState({ items: [], cursor: null, error });
        setBusy(null);
      },
    );
    return () => abort.abort();
  }, [key, round]);

  const loadMore = useCallback(() => {
    const request = current.current;
    if (!request || busy !== null || state.cursor === null) return;
    setBusy('more');
    const [where, params] = JSON.parse(request.key) as [string, Query];
    get<Page>(where, { ...params, limit: PAGE_SIZE, cursor: state.cursor }, request.abort.signal).then(
      (page) => {
        if (request.abort.signal.aborted) return;
        setState((now) => ({ ...now, items: [...now.items, ...page.items], cursor: page.nextCursor, error: undefined }));
        setBusy(null);
      },
      (error: unknown) => {
        if (request.abort.signal.aborted) return;
        // No retry loop from the scroll sentinel: the operator reloads (the error says why).
        setState((now) => ({ ...now, cursor: null, error }));
        setBusy(null);
      },
    );
  }, [busy, state.cursor]);

  return {
    items: state.items,
    total: state.total,
    hasMore: state.cursor !== null,
    loading: busy === 'first',
    loadingMore: busy === 'more',
    error: state.error,
    loadMore,
    reload: useCallback(() => setRound((n) => n + 1), []),
  };
}
