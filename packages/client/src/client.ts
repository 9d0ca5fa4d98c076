import { Auth, type AuthOptions } from './auth.js';
import { type HttpAnswer, type HttpRequest, Transport, type TransportOptions } from './http.js';
import { ProblemError } from './problem.js';
import { Files } from './files.js';
import { Realtime } from './realtime.js';
import { Collection } from './records.js';

export interface ClientOptions extends TransportOptions, AuthOptions {}

/**
 * Collection name → record fields: the `Collections` interface `backlot typegen` writes. This
 * default, the untyped one, takes any name and gives records as plain objects.
 */
export type AnyCollections = Record<string, Record<string, unknown>>;

/** The fields `collection()` types records with: T when given explicitly, else the map's entry for the name. */
export type CollectionFields<S, N extends keyof S, T> = [T] extends [never] ? (S[N] extends object ? S[N] : Record<string, unknown>) : T;

/**
 * The entry point: `createClient({ url })`, then `client.auth` and `client.collection('todos')`.
 * Every call carries the session's credentials; one that meets a 401 while a session exists
 * refreshes it (once, shared with every other call waiting) and is sent again.
 * `S` maps collection names to their fields (`createClient<Collections>()` with generated types).
 */
export class BacklotClient<S extends object = AnyCollections> {
  readonly auth: Auth;
  /** Record changes as they happen (Server-Sent Events). */
  readonly realtime: Realtime;
  /** URLs of stored files, and tokens for protected ones. */
  readonly files: Files;
  private readonly http: Transport;

  constructor(options: ClientOptions) {
    this.http = new Transport({ ...options, credentials: options.credentials ?? (options.mode === 'cookie' ? 'include' : undefined) });
    this.auth = new Auth(this.http, options);
    this.realtime = new Realtime({
      http: this.http,
      headers: () => this.auth.headers(),
      refreshAfter401: async () => (await this.auth.canRefresh()) && (await this.auth.refresh()) !== null,
    });
    this.files = new Files({ serverUrl: options.url.replace(/\/+$/, ''), call: (request) => this.call(request) });
  }

  /**
   * The records of `name`: typed by the client's map (an unknown name does not compile then), or
   * by T when given (`collection<Todo>('todos')`). T defaults to `never` only to tell "not given".
   */
  collection<T extends object = never, N extends Extract<keyof S, string> = Extract<keyof S, string>>(
    name: N,
  ): Collection<CollectionFields<S, N, T>> {
    return new Collection<CollectionFields<S, N, T>>(this, name);
  }

  /** The signed-in user's profile (GET /users/me). */
  async me<T = Record<string, unknown>>(options: { signal?: AbortSignal } = {}): Promise<T> {
    return (await this.call<T>({ method: 'GET', path: '/users/me', signal: options.signal, idempotent: true })).data;
  }

  /** Any documented route, authenticated like the helpers' calls: for what the client has no helper for yet. */
  async call<T>(request: HttpRequest): Promise<HttpAnswer<T>> {
    const send = async () => this.http.send<T>({ ...request, headers: { ...(await this.auth.headers()), ...request.headers } });
    try {
      return await send();
    } catch (error) {
      // The access token may have been revoked or expired early (clock skew): refresh once and retry.
      if (!(error instanceof ProblemError) || error.status !== 401 || !(await this.auth.canRefresh())) throw error;
      await this.auth.refresh();
      return send();
    }
  }
}

export function createClient<S extends object = AnyCollections>(options: ClientOptions): BacklotClient<S> {
  return new BacklotClient<S>(options);
}
