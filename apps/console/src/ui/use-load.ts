import { type DependencyList, useCallback, useEffect, useState } from 'react';
import { describe } from '../api';

export interface Loaded<T> {
  data?: T;
  /** What went wrong, for a person; set only when the last load failed. */
  problem?: string;
  loading: boolean;
  /** Loads again (after a change the page made), keeping the old data on screen meanwhile. */
  reload(): void;
}

/**
 * What `load` returns, loaded when the component mounts and again when `deps` change. A load
 * overtaken by a newer one (the operator typed on) is aborted and its answer dropped.
 */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: DependencyList): Loaded<T> {
  const [state, setState] = useState<{ data?: T; problem?: string; loading: boolean }>({ loading: true });
  const [round, setRound] = useState(0);
  // The caller's deps are what `load` reads: a new `load` each render must not reload.
  const run = useCallback(load, deps);

  useEffect(() => {
    const abort = new AbortController();
    setState((now) => ({ ...now, loading: true }));
    run(abort.signal).then(
      (data) => !abort.signal.aborted && setState({ data, loading: false }),
      (error: unknown) => !abort.signal.aborted && setState((now) => ({ data: now.data, problem: describe(error), loading: false })),
    );
    return () => abort.abort();
  }, [run, round]);

  return { ...state, reload: useCallback(() => setRound((n) => n + 1), []) };
}
