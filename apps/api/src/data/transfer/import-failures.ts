import { type FieldError, Unprocessable } from '@backlot/http';

export const MAX_LISTED = 100;

export interface LineFailure {
  line: number;
  errors: FieldError[];
}

/** The lines an import could not take: all counted, the first ones listed (a bad file must not make a huge answer). */
export class ImportFailures {
  readonly listed: LineFailure[] = [];
  lines = 0;
  errors = 0;

  get empty(): boolean {
    return this.lines === 0;
  }

  add(failure: LineFailure): void {
    this.lines += 1;
    this.errors += failure.errors.length;
    if (this.listed.length >= MAX_LISTED) return;
    // In line order: a chunk's lines that fail to be written are found after the ones that failed their checks.
    const at = this.listed.findLastIndex((listed) => listed.line <= failure.line) + 1;
    this.listed.splice(at, 0, failure);
  }

  /** An atomic import's refusal: every error with its line in the path (`line 12.title`), the first 100 listed. */
  refusal(): Unprocessable {
    const errors = this.listed
      .flatMap(({ line, errors }) => errors.map((error) => ({ ...error, path: linePath(line, error.path) })))
      .slice(0, MAX_LISTED);
    const shown = this.errors > errors.length ? ` The first ${errors.length} of ${this.errors} errors are listed.` : '';
    const failure = new Unprocessable(errors, `Nothing was imported: ${this.lines} line(s) failed.${shown}`);
    failure.extensions.failedLines = this.lines;
    failure.extensions.errorCount = this.errors;
    return failure;
  }
}

function linePath(line: number, path: string): string {
  return path === '(record)' || path === '' ? `line ${line}` : `line ${line}.${path}`;
}
