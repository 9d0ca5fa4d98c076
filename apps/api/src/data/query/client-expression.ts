import { ValidationFailed } from '@backlot/http';
import { FilterError } from './filter-error';

/** Compiles one client-supplied expression (filter, sort, cursor); its errors become a 400 on that parameter, with the position. */
export function clientExpression<T>(parameter: string, compile: () => T): T {
  try {
    return compile();
  } catch (error) {
    if (!(error instanceof FilterError)) throw error;
    const problem = new ValidationFailed(
      [{ path: parameter, code: error.code, message: error.message, position: error.position }],
      `Invalid ${parameter}: ${error.message}`,
    );
    problem.extensions.position = error.position;
    throw problem;
  }
}
