import type { AuthState } from './auth-store.js';

const DATABASE = 'backlot-refresh';
const TABLE = 'spent';
/** Long enough for any tab waiting on the lock: older entries are neither read nor kept. */
const KEEP_MS = 5 * 60_000;
/** Each use, at most: the lock is held meanwhile, and a stuck IndexedDB must not hold every tab. */
const TIMEOUT_MS = 500;

interface Entry {
  next: AuthState;
  at: number;
}

/**
 * What each refresh in this origin spent and got, in IndexedDB, for tabs that share a session.
 * The tab holding the refresh lock must know whether its refresh token was spent by another tab
 * (the server treats a second use as theft and ends the session). The shared store cannot say:
 * Chromium hands the Web Lock to the next tab before the previous holder's localStorage write
 * reaches it (measured: about 10 ms late). A completed IndexedDB transaction is seen by every tab
 * at once, so the holder records its refresh here before it lets the lock go. Keys are hashes of
 * the spent tokens; entries are ignored after a few minutes and deleted then, or at sign-out.
 * Every use gives up after TIMEOUT_MS: the caller then goes on with the store alone.
 */
export class RefreshLedger {
  private database?: Promise<IDBDatabase>;

  constructor(private readonly scope: string) {}

  /** Present where a browser gives both the lock and IndexedDB. */
  static available(): boolean {
    return typeof indexedDB !== 'undefined' && typeof crypto !== 'undefined' && crypto.subtle !== undefined;
  }

  /** The newest state a chain of refreshes from `token` produced, or null when `token` was never spent. */
  async latest(token: string): Promise<AuthState | null> {
    let found: AuthState | null = null;
    // Another tab may have refreshed more than once while this one waited: follow the chain.
    for (let step = 0, current = token; step < 20; step++) {
      const key = await this.key(current);
      const entry = (await this.run('readonly', (table) => table.get(key))) as Entry | undefined;
      if (!entry?.next.refreshToken || entry.at < Date.now() - KEEP_MS) break;
      found = entry.next;
      current = entry.next.refreshToken;
    }
    return found;
  }

  /** Records that `spent` gave `next`; resolves once the write is committed (other tabs see it). */
  async record(spent: string, next: AuthState): Promise<void> {
    const key = await this.key(spent);
    const now = Date.now();
    await this.run('readwrite', (table) => {
      table.put({ next, at: now } satisfies Entry, key);
      const old = table.openCursor();
      old.onsuccess = () => {
        const cursor = old.result;
        if (!cursor) return;
        if ((cursor.value as Entry).at < now - KEEP_MS) cursor.delete();
        cursor.continue();
      };
    });
  }

  /** Forgets every refresh (sign-out): the tokens they gave are over. */
  async clear(): Promise<void> {
    await this.run('readwrite', (table) => {
      table.clear();
    });
  }

  private async key(token: string): Promise<string> {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
    const hex = Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
    return `${this.scope}:${hex}`;
  }

  /**
   * One transaction; resolves with the request's result once the transaction has completed.
   * `work` is synchronous: a transaction left without a request across an await commits early.
   */
  private run(mode: IDBTransactionMode, work: (table: IDBObjectStore) => IDBRequest | void): Promise<unknown> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('IndexedDB did not answer in time')), TIMEOUT_MS);
    });
    return Promise.race([this.transact(mode, work), timeout]).finally(() => clearTimeout(timer));
  }

  /**
   * One transaction; resolves with the request's result once the transaction has completed.
   * `work` is synchronous: a transaction left without a request across an await commits early.
   */
  private async transact(mode: IDBTransactionMode, work: (table: IDBObjectStore) => IDBRequest | void): Promise<unknown> {
    const transaction = (await this.open()).transaction(TABLE, mode);
    const done = new Promise<void>((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onerror = transaction.onabort = () => reject(transaction.error);
    });
    const request = work(transaction.objectStore(TABLE));
    await done;
    return request?.result;
  }

  private open(): Promise<IDBDatabase> {
    this.database ??= new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(DATABASE, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(TABLE);
      request.onsuccess = () => {
        const database = request.result;
        // A newer version of the SDK in another tab wants to upgrade: step aside, open again next time.
        database.onversionchange = () => {
          database.close();
          this.database = undefined;
        };
        resolve(database);
      };
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
    }).catch((error: unknown) => {
      this.database = undefined;
      throw error;
    });
    return this.database;
  }
}
