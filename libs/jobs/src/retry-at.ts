/**
 * A failed run that should be retried at `at` exactly, rather than after a backoff the queue
 * draws itself (a handler that has already told someone when the next attempt runs). Attempts
 * still count: the last one dead-letters the job whatever `at` says.
 */
export class RetryAt extends Error {
  constructor(
    message: string,
    readonly at: Date,
  ) {
    super(message);
    this.name = 'RetryAt';
  }
}
