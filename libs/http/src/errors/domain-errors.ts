/**
 * Errors services throw. They describe what went wrong in domain terms; the global
 * problem filter decides how that looks on the wire (RFC 9457), so services never
 * import HTTP concerns.
 */
export interface FieldError {
  /** Dotted path of the offending input, e.g. `address.zip` or `items.2.qty`. */
  path: string;
  /** Machine-readable reason, e.g. `isEmail`, `required`, `tooLong`. */
  code: string;
  message: string;
  /** For an expression (a filter, a rule): the 0-based offset in its text where the error is. */
  position?: number;
}

export abstract class DomainError extends Error {
  abstract readonly kind: string;
  /** Extra members to expose in the problem body (must never contain secrets). */
  readonly extensions: Record<string, unknown> = {};

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationFailed extends DomainError {
  readonly kind: string = 'validation';
  constructor(
    readonly errors: FieldError[],
    message = 'The request has invalid fields.',
  ) {
    super(message);
  }
}

/** Well-formed input the domain cannot accept as it is (a record failing its collection's schema): 422. */
export class Unprocessable extends ValidationFailed {
  override readonly kind = 'unprocessable';
}

/** A body or value beyond a size limit: 413. */
export class PayloadTooLarge extends DomainError {
  readonly kind = 'payload-too-large';
}

/** A request that went on longer than the server allows it (an upload past its deadline): 408. */
export class RequestTimeout extends DomainError {
  readonly kind = 'request-timeout';
}

/** A body in a media type the route does not take: 415. */
export class UnsupportedMediaType extends DomainError {
  readonly kind = 'unsupported-media-type';
}

export class BadRequest extends DomainError {
  readonly kind = 'bad-request';
}

export class Unauthenticated extends DomainError {
  readonly kind = 'unauthenticated';
}

export class Forbidden extends DomainError {
  readonly kind = 'forbidden';
}

export class NotFound extends DomainError {
  readonly kind = 'not-found';
}

export class Conflict extends DomainError {
  readonly kind = 'conflict';
}

/** Something that existed and never will again (a one-time setup that is done): 410. */
export class Gone extends DomainError {
  readonly kind = 'gone';
}

export class PreconditionFailed extends DomainError {
  readonly kind = 'precondition-failed';
}

export class TooManyRequests extends DomainError {
  readonly kind: string = 'rate-limited';
  constructor(
    readonly retryAfterSeconds: number,
    message = 'Too many requests; slow down and retry later.',
  ) {
    super(message);
    this.extensions.retryAfter = retryAfterSeconds;
  }
}

export class ServiceUnavailable extends DomainError {
  readonly kind = 'unavailable';
  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super(message);
    Object.assign(this.extensions, extensions);
  }
}

/** Too many failed sign-ins for one account; it unlocks by itself after `retryAfterSeconds`. */
export class AccountLocked extends TooManyRequests {
  override readonly kind = 'account-locked';
}
