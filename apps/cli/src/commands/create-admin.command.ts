import { type AppConfig, EMBEDDED_IN_MEMORY } from '@backlot/config';
import { EmbeddedLock } from '@backlot/database';
import { ValidationFailed } from '@backlot/http';
import { createApp, LOCAL_SECRET_HEADER, type LocalAdminOutcome, readLocalServer, SetupService } from '@backlot/api';
import { heldByServer, whileServerRuns } from './server-running';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

interface AdminResult {
  outcome: LocalAdminOutcome;
  user: { id: string; email: string };
}

/** One attempt: the password is undefined until an attempt says the account needs one. */
type Attempt = (password: string | undefined) => Promise<AdminResult | PasswordNeeded>;

/** Why the password did not do: missing (the account does not exist yet) or refused by the policy. */
class PasswordNeeded {
  constructor(
    readonly missing: boolean,
    readonly message: string,
  ) {}
}

/**
 * Creates an admin account (verified, so it can sign in at once), or promotes an existing
 * account to admin. The password comes from ADMIN_PASSWORD or the first line of stdin, asked
 * only when the account must be created; never from the command line, where it would land in
 * shell history and `ps`. While a server holds the embedded database, the running server does
 * the work (DATA_DIR/server.json says where it listens and with which secret).
 */
export async function createAdmin(config: AppConfig, email: string | undefined, print: (line: string) => void): Promise<number> {
  if (!email || !EMAIL.test(email)) {
    print('Usage: create-admin <email>   (password from ADMIN_PASSWORD or stdin)');
    return 2;
  }
  const locked = embeddedDatabaseInUse(config);
  if (locked) return run(throughServer(config, email, locked), print);
  const app = await createApp(config, {});
  try {
    const setup = app.get(SetupService);
    return await run(async (password) => {
      try {
        return await setup.createOrPromoteAdmin(email, password);
      } catch (error) {
        if (error instanceof ValidationFailed) return passwordNeeded(error.errors);
        throw error;
      }
    }, print);
  } finally {
    await app.close();
  }
}

async function run(attempt: Attempt, print: (line: string) => void): Promise<number> {
  let result = await attempt(process.env.ADMIN_PASSWORD);
  if (result instanceof PasswordNeeded && result.missing) result = await attempt(await readFirstLine());
  if (result instanceof PasswordNeeded) {
    print(`The ${result.message}.`);
    return 2;
  }
  const { outcome, user } = result;
  print(
    outcome === 'created'
      ? `Created admin ${user.email} (${user.id}).`
      : outcome === 'promoted'
        ? `Promoted ${user.email} to admin.`
        : `${user.email} is already an admin.`,
  );
  return 0;
}

function passwordNeeded(errors: readonly { path: string; code: string; message: string }[]): PasswordNeeded | never {
  const problem = errors.find((error) => error.path === 'password');
  if (!problem) throw new Error(errors.map((error) => error.message).join('; '));
  return new PasswordNeeded(problem.code === 'required', problem.message);
}

/** The lock's refusal when another process (a server, most likely) has the embedded database open. */
function embeddedDatabaseInUse(config: AppConfig): Error | undefined {
  const { database } = config;
  if (database.kind !== 'embedded' || database.dataDir === EMBEDDED_IN_MEMORY) return undefined;
  try {
    EmbeddedLock.acquire(database.dataDir).release();
    return undefined;
  } catch (error) {
    if (heldByServer(error)) return error as Error;
    throw error;
  }
}

/** The same command answered by the server that holds the embedded database. */
function throughServer(config: AppConfig, email: string, locked: Error): Attempt {
  const server = readLocalServer(config.dataDir);
  if (!server) throw whileServerRuns(locked, 'It has not published DATA_DIR/server.json (an older build?): stop it first.');
  return async (password) => {
    let response: Response;
    try {
      response = await fetch(`${server.url}/api/v1/setup/local-admin`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [LOCAL_SECRET_HEADER]: server.secret },
        body: JSON.stringify({ email, password }),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw whileServerRuns(locked, `It does not answer at ${server.url} (${cause}), the address its DATA_DIR/server.json names.`);
    }
    const body = (await response.json()) as AdminResult & { detail?: string; errors?: { path: string; code: string; message: string }[] };
    if (response.ok) return body;
    if (response.status === 400 && body.errors) return passwordNeeded(body.errors);
    throw new Error(`The server at ${server.url} refused: ${body.detail ?? response.statusText}`);
  };
}

async function readFirstLine(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password for the new admin: ');
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}
