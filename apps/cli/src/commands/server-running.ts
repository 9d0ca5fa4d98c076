/** The embedded database's lock refusal (libs/database EmbeddedLock): a server, most likely, holds it. */
export function heldByServer(error: unknown): boolean {
  return error instanceof Error && error.message.includes('in use by process');
}

/** The lock refusal, with what to do instead while the server runs. */
export function whileServerRuns(error: Error, advice: string): Error {
  return new Error(`${error.message}\nThe server is probably running: it holds the embedded database. ${advice}`);
}
