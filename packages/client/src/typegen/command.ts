import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { type CollectionSchema, generate } from './generate.js';
import { fromFile, fromServer, SchemaError, serverRoot } from './source.js';

export const EXIT = { ok: 0, outOfDate: 1, usage: 2, noSchema: 3 } as const;

export const USAGE = `Usage: backlot typegen (--url <server> | --schema <file>) [options]

Writes TypeScript types for a Backlot server's collections, for createClient<Collections>().

Where the schema comes from (one of):
  --url <url>          a running server, e.g. http://127.0.0.1:3000 (env BACKLOT_URL)
  --api-key <key>      an API key with the records:read scope (env BACKLOT_API_KEY)
  --token <token>      an access token; an admin's sees every collection (env BACKLOT_TOKEN)
  --schema <file>      a saved answer of GET /api/v1/collections (for CI without a server)

Options:
  --out <file.ts>      where to write the types (default: standard output)
  --check              change nothing; exit 1 when --out differs from what would be written
  --watch              keep going: read the schema again every --interval seconds and
                       rewrite --out only when the types change (Ctrl-C stops)
  --interval <s>       seconds between reads in --watch (default 5 with --url, 1 with --schema)
  -h, --help           this text

Prefer the environment variables to --api-key and --token: the process list shows arguments.
Exit codes: 0 done or up to date, 1 out of date (--check), 2 bad arguments, 3 no schema read
(server unreachable, credentials refused, invalid JSON).
`;

interface Options {
  url?: string;
  schema?: string;
  apiKey?: string;
  token?: string;
  out?: string;
  check: boolean;
  watch: boolean;
  intervalMs: number;
}

/** The process around the command, passed in so tests can run it in-process. */
export interface Io {
  env: Record<string, string | undefined>;
  stdout(text: string): void;
  /** One message, without its newline. */
  stderr(text: string): void;
  /** Ends --watch. */
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

class UsageError extends Error {}

/** `backlot <command> …`: the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [command, ...args] = argv;
  const help = command === 'typegen' ? args.includes('-h') || args.includes('--help') : ['-h', '--help', 'help'].includes(command ?? '');
  if (help) {
    io.stdout(USAGE);
    return EXIT.ok;
  }
  if (command !== 'typegen') {
    io.stderr(
      `${command === undefined ? 'No command given' : `Unknown command "${redact(command)}"`}: backlot has one, typegen.\n\n${USAGE}`,
    );
    return EXIT.usage;
  }
  let options: Options;
  try {
    options = parse(args, io.env);
  } catch (error) {
    if (!(error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) throw error;
    // parseArgs quotes what it did not expect, which may be a pasted secret.
    io.stderr(`${redact((error as Error).message)}\nRun \`backlot typegen --help\` for the options.`);
    return EXIT.usage;
  }
  if (options.url && !options.apiKey && !options.token)
    io.stderr('No credentials given (--api-key, --token): only collections open to anonymous callers are listed.');
  return options.watch ? watch(options, io) : once(options, io);
}

function parse(args: string[], env: Io['env']): Options {
  const { values } = parseArgs({
    args,
    options: {
      url: { type: 'string' },
      'api-key': { type: 'string' },
      token: { type: 'string' },
      schema: { type: 'string' },
      out: { type: 'string' },
      check: { type: 'boolean', default: false },
      watch: { type: 'boolean', default: false },
      interval: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.url !== undefined && values.schema !== undefined) throw new UsageError('Give --url or --schema, not both.');
  const url = values.schema === undefined ? (values.url ?? env.BACKLOT_URL) : undefined;
  if (!url && values.schema === undefined)
    throw new UsageError('Say where the schema is: --url <server> (or BACKLOT_URL) or --schema <file>.');
  const flagged = values['api-key'] !== undefined || values.token !== undefined;
  const apiKey = flagged ? values['api-key'] : env.BACKLOT_API_KEY || undefined;
  const token = flagged ? values.token : env.BACKLOT_TOKEN || undefined;
  if (url && apiKey && token) throw new UsageError('Give an API key or an access token, not both.');
  if (url) {
    try {
      serverRoot(url);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  if (values.check && !values.out) throw new UsageError('--check compares with a file: give it as --out.');
  if (values.check && values.watch) throw new UsageError('--check and --watch do not go together.');
  const seconds = values.interval === undefined ? (url ? 5 : 1) : Number(values.interval);
  if (!(seconds >= 0.1 && seconds <= 86_400)) throw new UsageError('--interval is a number of seconds from 0.1 to 86400.');
  return {
    url,
    schema: values.schema,
    apiKey,
    token,
    out: values.out,
    check: values.check,
    watch: values.watch,
    intervalMs: seconds * 1000,
  };
}

async function once(options: Options, io: Io): Promise<number> {
  let collections: CollectionSchema[];
  try {
    collections = await load(options, io);
  } catch (error) {
    if (!(error instanceof SchemaError)) throw error;
    io.stderr(redact(error.message, options));
    return EXIT.noSchema;
  }
  const text = generate(collections);
  if (!options.out) {
    io.stdout(text);
    return EXIT.ok;
  }
  if (!options.check) {
    io.stderr((await write(options.out, text)) ? `Wrote ${options.out} (${count(collections)}).` : `${options.out} is up to date.`);
    return EXIT.ok;
  }
  const current = await contentOf(options.out);
  if (current === text) {
    io.stderr(`${options.out} is up to date.`);
    return EXIT.ok;
  }
  io.stderr(
    current === null
      ? `${options.out} does not exist: run backlot typegen without --check to write it.`
      : `${options.out} is out of date (from line ${firstDifference(current, text)}): run backlot typegen without --check to rewrite it.`,
  );
  return EXIT.outOfDate;
}

/**
 * Polls rather than watching the file system: a server has nothing to watch, and editors save a
 * file by replacing it, which fs.watch loses track of. A failure that may pass (server restarting,
 * a schema file saved half-way) is reported once and retried; refused credentials end the watch.
 */
async function watch(options: Options, io: Io): Promise<number> {
  // A URL may carry user:password; it is not for the terminal.
  const what = options.schema ?? serverRoot(options.url!).origin;
  io.stderr(`Watching ${what} every ${options.intervalMs / 1000} s (Ctrl-C stops).`);
  let printed: string | undefined;
  let failure = '';
  while (!io.signal?.aborted) {
    try {
      const collections = await load(options, io);
      const text = generate(collections);
      failure = '';
      if (options.out && (await write(options.out, text)))
        io.stderr(`${new Date().toISOString()} wrote ${options.out} (${count(collections)}).`);
      else if (!options.out && text !== printed) io.stdout(text);
      printed = text;
    } catch (error) {
      if (!(error instanceof SchemaError)) throw error;
      if (error.fatal) {
        io.stderr(redact(error.message, options));
        return EXIT.noSchema;
      }
      if (error.message !== failure) io.stderr(`${redact(error.message, options)} Trying again every ${options.intervalMs / 1000} s.`);
      failure = error.message;
    }
    await delay(options.intervalMs, undefined, { signal: io.signal }).catch(() => undefined);
  }
  return EXIT.ok;
}

function load(options: Options, io: Io): Promise<CollectionSchema[]> {
  if (options.schema !== undefined) return fromFile(options.schema);
  return fromServer({ url: options.url!, apiKey: options.apiKey, token: options.token, fetch: io.fetch });
}

/** Writes `text` unless the file already holds it (watchers and bundlers see no change then); true when it wrote. */
async function write(path: string, text: string): Promise<boolean> {
  if ((await contentOf(path)) === text) return false;
  await mkdir(dirname(path), { recursive: true });
  // Through a temporary file: a bundler watching `path` never reads it half-written.
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, path);
  return true;
}

async function contentOf(path: string): Promise<string | null> {
  return readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
}

function firstDifference(a: string, b: string): number {
  const left = a.split('\n');
  const right = b.split('\n');
  const index = left.findIndex((line, at) => line !== right[at]);
  return (index === -1 ? left.length : index) + 1;
}

function count(collections: readonly unknown[]): string {
  return `${collections.length} collection${collections.length === 1 ? '' : 's'}`;
}

/** Messages never carry a credential: the ones given, and anything shaped like an API key, a JWT or a URL's password. */
function redact(message: string, options?: Pick<Options, 'apiKey' | 'token'>): string {
  let safe = message;
  for (const secret of [options?.apiKey, options?.token]) if (secret) safe = safe.split(secret).join('***');
  return safe
    .replace(/blk_[A-Za-z0-9_-]+/g, 'blk_***')
    .replace(/eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '***')
    .replace(/\/\/[^/@\s]+@/g, '//***@');
}
