import { useState } from 'react';
import { Button } from 'react-aria-components';

/** Where a cursor-paged list is: the cursor of the page shown, and those before it (for "Previous"). */
export interface Pages {
  cursor: string | undefined;
  /** 1-based number of the page shown. */
  number: number;
  next(cursor: string): void;
  previous(): void;
  /** Back to the first page (after a filter changed). */
  reset(): void;
}

export function usePages(): Pages {
  const [stack, setStack] = useState<string[]>([]);
  return {
    cursor: stack.at(-1),
    number: stack.length + 1,
    next: (cursor) => setStack((now) => [...now, cursor]),
    previous: () => setStack((now) => now.slice(0, -1)),
    reset: () => setStack([]),
  };
}

/** Previous / next buttons for a cursor-paged list, with the page number and the total when known. */
export function Pager({ pages, nextCursor, total, label }: { pages: Pages; nextCursor?: string | null; total?: number; label: string }) {
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <Button className="react-aria-Button quiet" isDisabled={pages.number === 1} onPress={pages.previous}>
        Previous page
      </Button>
      <span aria-live="polite">
        Page {pages.number}
        {total !== undefined && ` · ${total} in all`}
      </span>
      <Button className="react-aria-Button quiet" isDisabled={!nextCursor} onPress={() => nextCursor && pages.next(nextCursor)}>
        Next page
      </Button>
    </nav>
  );
}

/** A time from the API (ISO 8601, UTC) as people read it, in UTC, inside a <time> element. */
export function Time({ at }: { at: string | null | undefined }) {
  if (!at) return <>—</>;
  return <time dateTime={at}>{at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>;
}
