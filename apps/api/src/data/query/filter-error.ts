/** A filter or rule the compiler refuses: `position` is the 0-based offset in the source. */
export class FilterError extends Error {
  constructor(
    message: string,
    readonly position: number,
    readonly code: 'syntax' | 'unknownField' | 'typeMismatch' | 'notFilterable' | 'tooComplex',
  ) {
    super(`${message} (at position ${position})`);
    this.name = 'FilterError';
  }
}
