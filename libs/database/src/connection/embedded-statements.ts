import { type messages, parse, type PGlite, protocol } from '@electric-sql/pglite';
import { MAX_PREPARED_PER_CONNECTION } from './postgres-pool';

type BackendMessage = messages.BackendMessage;

/** A statement prepared on the embedded database: its server-side name, parameter types and result columns. */
interface Prepared {
  name: string;
  parameterTypes: number[];
  /** Undefined for a statement that returns no rows. */
  columns?: messages.RowDescriptionMessage;
}

/** PostgreSQL's "cached plan must not change result type": a prepared statement's table changed shape under it. */
const PLAN_CHANGED_RESULT = '0A000';

/**
 * Prepared statements on the embedded database (PGlite), for the statements a caller marks
 * `prepare` (the hot record statements), as the pg pool does on PostgreSQL. PGlite's own
 * query() parses and plans every statement again, in six calls into the database; here a
 * known statement is one call (bind, execute, sync), and PostgreSQL plans it once it finds a
 * generic plan as good as a fresh one. An upload's record write spent half its database time
 * on parsing and planning.
 *
 * Parameters are sent exactly as query() sends them (PGlite's serializer for the type
 * PostgreSQL inferred), and rows come back through PGlite's parsers, so a statement answers
 * the same either way. At most MAX_PREPARED_PER_CONNECTION are kept; the least recently used
 * is closed on the server with the next statement.
 */
export class EmbeddedStatements {
  /** By SQL text, least recently used first. */
  private readonly prepared = new Map<string, Prepared>();
  /** Names to close on the server with the next exchange. */
  private closing: string[] = [];
  private sequence = 0;

  constructor(
    private readonly pglite: PGlite,
    private readonly max = MAX_PREPARED_PER_CONNECTION,
  ) {}

  /**
   * Runs one statement. Inside a PGlite transaction (`inTransaction`), the transaction holds
   * its lock already; outside one, the statement takes it, so it never runs in the middle of
   * someone else's transaction.
   */
  query<T>(sql: string, params: readonly unknown[], inTransaction: boolean): Promise<T[]> {
    const work = () => this.run<T>(sql, params, !inTransaction);
    return inTransaction ? this.pglite.runExclusive(work) : this.pglite._runExclusiveTransaction(() => this.pglite.runExclusive(work));
  }

  private async run<T>(sql: string, params: readonly unknown[], syncToFs: boolean, retried = false): Promise<T[]> {
    const statement = this.prepared.get(sql) ?? (await this.prepare(sql, syncToFs));
    this.touch(sql, statement);
    const values = params.map((value, index) => this.serialize(value, statement.parameterTypes[index]));
    const replies = await this.exchange(
      [protocol.serialize.bind({ statement: statement.name, values }), protocol.serialize.execute({}), protocol.serialize.sync()],
      syncToFs,
    );
    const error = failure(replies);
    if (error?.code === PLAN_CHANGED_RESULT && !retried) {
      this.forget(sql);
      return this.run<T>(sql, params, syncToFs, true);
    }
    if (error) throw error;
    const results = parse.parseResults(statement.columns ? [statement.columns, ...replies] : replies, this.pglite.parsers);
    return results[0]!.rows as T[];
  }

  /** Parses and describes a statement under a fresh name; a statement that does not parse is not kept. */
  private async prepare(sql: string, syncToFs: boolean): Promise<Prepared> {
    const name = `e${++this.sequence}`;
    const replies = await this.exchange(
      [protocol.serialize.parse({ name, text: sql }), protocol.serialize.describe({ type: 'S', name }), protocol.serialize.sync()],
      syncToFs,
    );
    const error = failure(replies);
    if (error) {
      if (replies.some((reply) => reply.name === 'parseComplete')) this.closing.push(name);
      throw error;
    }
    const parameters = replies.find((reply): reply is messages.ParameterDescriptionMessage => reply.name === 'parameterDescription');
    const columns = replies.find((reply): reply is messages.RowDescriptionMessage => reply.name === 'rowDescription');
    return { name, parameterTypes: parameters?.dataTypeIDs ?? [], columns };
  }

  /** Marks a statement as just used; beyond the bound, the least recently used one is closed. */
  private touch(sql: string, statement: Prepared): void {
    this.prepared.delete(sql);
    this.prepared.set(sql, statement);
    if (this.prepared.size <= this.max) return;
    const [oldest] = this.prepared.keys();
    this.forget(oldest!);
  }

  private forget(sql: string): void {
    const statement = this.prepared.get(sql);
    if (!statement) return;
    this.prepared.delete(sql);
    this.closing.push(statement.name);
  }

  /** Sends messages in one call (after closing what was dropped); the database's answers, errors included. */
  private exchange(messages: Uint8Array[], syncToFs: boolean): Promise<BackendMessage[]> {
    const closes = this.closing.map((name) => protocol.serialize.close({ type: 'S', name }));
    this.closing = [];
    return this.pglite.execProtocolStream(concat([...closes, ...messages]), { syncToFs, throwOnError: false });
  }

  /** A parameter as PGlite's query() sends it: its type's serializer, or its text. */
  private serialize(value: unknown, type: number | undefined): string | null {
    if (value === null || value === undefined) return null;
    const serializer = type === undefined ? undefined : this.pglite.serializers[type];
    return serializer ? (serializer(value) as string) : String(value);
  }
}

function failure(replies: BackendMessage[]): messages.DatabaseError | undefined {
  return replies.find((reply): reply is messages.DatabaseError => reply.name === 'error');
}

function concat(parts: Uint8Array[]): Uint8Array {
  const whole = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.length;
  }
  return whole;
}
