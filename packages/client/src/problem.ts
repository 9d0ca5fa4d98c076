/** One field's problem in a 400/422 answer. */
export interface FieldProblem {
  path: string;
  code: string;
  message: string;
}

/** The RFC 9457 body every Backlot error answer carries. */
export interface ProblemBody {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: FieldProblem[];
  [extension: string]: unknown;
}

/**
 * An error answer from the server, typed: `status`, `type`, `detail`, the field problems of a
 * validation error, and the request id to quote when asking an operator about it.
 */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldProblem[];
  readonly requestId: string | null;

  constructor(
    status: number,
    readonly body: ProblemBody,
    requestId: string | null,
  ) {
    super(body.detail ?? body.title ?? `The server answered ${status}.`);
    this.status = status;
    this.type = body.type ?? 'about:blank';
    this.title = body.title ?? '';
    this.detail = body.detail ?? this.message;
    this.errors = Array.isArray(body.errors) ? body.errors : [];
    this.requestId = requestId;
  }

  /** The problem of one field (`title`, `operations.0.data.title`), if the server named it. */
  field(path: string): FieldProblem | undefined {
    return this.errors.find((problem) => problem.path === path);
  }
}
