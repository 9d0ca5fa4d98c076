/** What the client keeps of a signed-in session. */
export interface AuthState {
  accessToken: string;
  /** Epoch milliseconds when the access token expires. */
  expiresAt: number;
  /** Epoch milliseconds from which calls refresh it first (a little before it expires). */
  refreshAt?: number;
  /** Body mode only; in cookie mode the refresh token is an httpOnly cookie the page cannot read. */
  refreshToken?: string;
  sessionId?: string;
}

/** Where the session is kept: memory, localStorage, or your own (async storage on mobile, say). */
export interface AuthStore {
  get(): AuthState | null | Promise<AuthState | null>;
  set(state: AuthState | null): void | Promise<void>;
  /**
   * True when the tabs of one origin read the same session from it (localStorage, IndexedDB):
   * their refreshes are then recorded where every tab sees them at once (see RefreshLedger).
   */
  readonly sharedAcrossTabs?: boolean;
}

/** The default: gone with the page (and the only choice that keeps tokens away from other scripts' storage reads). */
export class MemoryStore implements AuthStore {
  private state: AuthState | null = null;

  get(): AuthState | null {
    return this.state;
  }

  set(state: AuthState | null): void {
    this.state = state;
  }
}

/**
 * Survives reloads and is shared by the tabs of one origin (their refreshes are coordinated
 * through a Web Lock and a ledger in IndexedDB, see Auth.refresh). Anything that can run script on the page can read it.
 */
export class LocalStorageStore implements AuthStore {
  readonly sharedAcrossTabs = true;

  constructor(
    private readonly key = 'backlot.auth',
    private readonly storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> = globalThis.localStorage,
  ) {}

  get(): AuthState | null {
    const text = this.storage.getItem(this.key);
    if (!text) return null;
    try {
      const state = JSON.parse(text) as AuthState;
      return typeof state.accessToken === 'string' && typeof state.expiresAt === 'number' ? state : null;
    } catch {
      return null;
    }
  }

  set(state: AuthState | null): void {
    if (state) this.storage.setItem(this.key, JSON.stringify(state));
    else this.storage.removeItem(this.key);
  }
}
