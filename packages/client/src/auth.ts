import type { AuthState, AuthStore } from './auth-store.js';
import { MemoryStore } from './auth-store.js';
import type { CallOptions, HttpRequest, Transport } from './http.js';
import { ProblemError } from './problem.js';
import { Providers, type VerifierStorage } from './providers.js';
import { RefreshLedger } from './refresh-ledger.js';

/** `body`: tokens in JSON (servers, mobile, SPAs that keep them); `cookie`: the refresh token is an httpOnly cookie. */
export type AuthMode = 'body' | 'cookie';

export interface AuthOptions {
  mode?: AuthMode;
  /** Where the session is kept (default: memory). Cookie mode keeps only the access token. */
  store?: AuthStore;
  /** Server-to-server: every call sends this key (X-API-Key); there is no session to refresh. */
  apiKey?: string;
  /** Where a provider sign-in keeps its verifier across the redirects (default: sessionStorage). */
  providerStorage?: VerifierStorage;
  /** Refresh this long before the access token expires (default 30 s, at most half its lifetime). */
  refreshAheadSeconds?: number;
  /** The Web Lock that makes tabs of one origin refresh one at a time (default `backlot-refresh`). */
  lockName?: string;
}

interface Tokens {
  accessToken: string;
  expiresIn: number;
  refreshToken?: string;
  sessionId?: string;
}

/** What a sign-in answers: signed in, or an MFA challenge to answer with `verifyMfa`. */
export type SignIn = { signedIn: true } | { signedIn: false; mfaRequired: true; challengeToken: string; expiresAt: string };

type Listener = (state: AuthState | null) => void;
type LockManager = { request<T>(name: string, work: () => Promise<T>): Promise<T> };

/**
 * Sign-in and the session's tokens. Refresh is done once however many calls need it (one
 * promise in flight), ahead of expiry, and, where the Web Locks API exists, one tab at a time:
 * a tab that gets the lock after another tab refreshed takes the stored result instead of
 * spending the now-rotated refresh token, which the server would treat as reuse and end the
 * session for every tab.
 */
export class Auth {
  /** Sign-in and linking with Google, GitHub, any OpenID Connect provider. */
  readonly providers: Providers;
  private readonly store: AuthStore;
  private readonly listeners = new Set<Listener>();
  private refreshing?: Promise<AuthState | null>;
  private known: AuthState | null = null;
  /** Where tabs sharing one session see each other's refreshes at once (see RefreshLedger). */
  private readonly ledger?: RefreshLedger;

  constructor(
    private readonly http: Transport,
    private readonly options: AuthOptions = {},
  ) {
    this.store = options.store ?? new MemoryStore();
    if (this.store.sharedAcrossTabs && this.mode === 'body' && RefreshLedger.available())
      this.ledger = new RefreshLedger(options.lockName ?? 'backlot-refresh');
    this.providers = new Providers({
      http,
      headers: () => this.headers(),
      signedIn: (path, body, call) => this.signIn(path, body, call),
      storage: options.providerStorage,
    });
  }

  get mode(): AuthMode {
    return this.options.mode ?? 'body';
  }

  /** Called with the new state after every sign-in, refresh and sign-out; returns the unsubscribe. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The stored session, if any (it may need a refresh before use). */
  async session(): Promise<AuthState | null> {
    this.known = await this.store.get();
    return this.known;
  }

  /** Creates an account; the server mails a confirmation link (the answer is the same for a taken address). */
  async register(email: string, password: string, options: CallOptions = {}): Promise<void> {
    await this.http.send({ method: 'POST', path: '/auth/register', body: { email, password }, ...options });
  }

  async login(email: string, password: string, options: CallOptions = {}): Promise<SignIn> {
    return this.signIn('/auth/login', { email, password }, options);
  }

  /** Mails a one-time code and link (the answer is the same for any address). */
  async requestEmailCode(email: string, options: CallOptions = {}): Promise<void> {
    await this.http.send({ method: 'POST', path: '/auth/otp', body: { email }, ...options });
  }

  /** Signs in with the mailed 6-digit code. */
  signInWithEmailCode(email: string, code: string, options: CallOptions = {}): Promise<SignIn> {
    return this.signIn('/auth/otp/verify', { email, code }, options);
  }

  /** Signs in with the token of the mailed link (your `/email-sign-in?token=…` page). */
  signInWithEmailLink(token: string, options: CallOptions = {}): Promise<SignIn> {
    return this.signIn('/auth/otp/verify', { token }, options);
  }

  /** Answers the MFA challenge of a sign-in with a 6-digit or recovery code. */
  async verifyMfa(challengeToken: string, code: string, options: CallOptions = {}): Promise<void> {
    const answer = await this.http.send<Tokens>(this.authCall('/auth/mfa/verify', { challengeToken, code }, options));
    await this.keep(answer.data);
  }

  /** Ends the session on the server and forgets it here (even if the server cannot be reached). */
  async logout(options: CallOptions = {}): Promise<void> {
    const state = await this.store.get();
    try {
      if (this.mode === 'cookie' || state?.refreshToken)
        await this.http.send(this.authCall('/auth/logout', this.mode === 'cookie' ? {} : { refreshToken: state!.refreshToken }, options));
    } finally {
      await this.save(null);
    }
  }

  async verifyEmail(token: string, options: CallOptions = {}): Promise<void> {
    await this.http.send({ method: 'POST', path: '/auth/verify-email', body: { token }, ...options });
  }

  async resendVerification(email: string, options: CallOptions = {}): Promise<void> {
    await this.http.send({ method: 'POST', path: '/auth/verify-email/resend', body: { email }, ...options });
  }

  async requestPasswordReset(email: string, options: CallOptions = {}): Promise<void> {
    await this.http.send({ method: 'POST', path: '/auth/password/forgot', body: { email }, ...options });
  }

  async resetPassword(token: string, password: string, options: CallOptions = {}): Promise<void> {
    await this.http.send({ method: 'POST', path: '/auth/password/reset', body: { token, password }, ...options });
  }

  /**
   * The headers that authenticate a call: the API key, or a bearer token refreshed first when
   * it is about to expire. None when signed out (the call goes as anonymous).
   */
  async headers(): Promise<Record<string, string>> {
    if (this.options.apiKey) return { 'x-api-key': this.options.apiKey };
    let state = await this.store.get();
    if (state && due(state)) state = await this.refresh();
    return state ? { authorization: `Bearer ${state.accessToken}` } : {};
  }

  /** Whether a 401 may be cured by refreshing (a session exists that could have expired early). */
  async canRefresh(): Promise<boolean> {
    if (this.options.apiKey) return false;
    const state = await this.store.get();
    return state !== null && (this.mode === 'cookie' || state.refreshToken !== undefined);
  }

  /**
   * New tokens for the session: one request however many callers ask at once. A 401 means the
   * session is over (expired, revoked, or signed out elsewhere): the state is cleared. In cookie
   * mode, call it when the page loads to resume the session the cookie holds.
   */
  refresh(): Promise<AuthState | null> {
    this.refreshing ??= this.refreshOnce().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async refreshOnce(): Promise<AuthState | null> {
    const before = await this.store.get();
    const locks = (globalThis.navigator as { locks?: LockManager } | undefined)?.locks;
    if (!locks) return this.exchange(before);
    return locks.request(this.options.lockName ?? 'backlot-refresh', async () => {
      // Another tab may have refreshed while this one waited: take its tokens rather than spend ours again.
      const stored = await this.store.get();
      const now = await this.latest(stored);
      if (now && before && now.accessToken !== before.accessToken && !due(now)) {
        if (now !== stored) await this.store.set(now);
        this.emit(now);
        return now;
      }
      return this.exchange(now);
    });
  }

  /** The stored state, or what another tab's refresh of its token gave when the store has not caught up yet. */
  private async latest(stored: AuthState | null): Promise<AuthState | null> {
    if (!this.ledger || !stored?.refreshToken) return stored;
    // Without the ledger (IndexedDB failing, say) the store is all there is to go on.
    return (await this.ledger.latest(stored.refreshToken).catch(() => null)) ?? stored;
  }

  private async exchange(state: AuthState | null): Promise<AuthState | null> {
    // In cookie mode the session lives in the httpOnly cookie: a page just loaded has no state yet and resumes from it.
    if (this.mode === 'body' && !state?.refreshToken) return null;
    try {
      const answer = await this.http.send<Tokens>(
        this.authCall('/auth/refresh', this.mode === 'cookie' ? {} : { refreshToken: state?.refreshToken }, {}),
      );
      const next = await this.keep(answer.data);
      // Committed before the lock is let go, so the tab that takes it next sees the token as spent.
      if (this.ledger && state?.refreshToken) await this.ledger.record(state.refreshToken, next).catch(() => undefined);
      return next;
    } catch (error) {
      if (error instanceof ProblemError && error.status === 401) {
        // Announced even by a tab that never announced the session (it only read the shared store).
        this.known = state;
        await this.save(null);
      }
      throw error;
    }
  }

  /** Every first factor answers alike: tokens, or an MFA challenge to answer with `verifyMfa`. */
  private async signIn(path: string, body: Record<string, unknown>, options: CallOptions): Promise<SignIn> {
    const answer = await this.http.send<Tokens | { mfaRequired: true; challengeToken: string; expiresAt: string }>(
      this.authCall(path, body, options),
    );
    if ('mfaRequired' in answer.data) return { signedIn: false, ...answer.data };
    await this.keep(answer.data);
    return { signedIn: true };
  }

  private authCall(path: string, body: Record<string, unknown>, options: CallOptions): HttpRequest {
    const cookie = this.mode === 'cookie';
    const withMode = cookie && path !== '/auth/refresh' && path !== '/auth/logout' ? { ...body, cookie: true } : body;
    return { method: 'POST', path, body: withMode, headers: cookie ? { 'x-backlot-csrf': '1' } : {}, ...options };
  }

  private async keep(tokens: Tokens): Promise<AuthState> {
    const lifetime = tokens.expiresIn * 1000;
    const lead = Math.min((this.options.refreshAheadSeconds ?? 30) * 1000, lifetime / 2);
    const state: AuthState = {
      accessToken: tokens.accessToken,
      expiresAt: Date.now() + lifetime,
      refreshAt: Date.now() + lifetime - lead,
      ...(this.mode === 'body' && tokens.refreshToken && { refreshToken: tokens.refreshToken }),
      ...(tokens.sessionId && { sessionId: tokens.sessionId }),
    };
    await this.save(state);
    return state;
  }

  private async save(state: AuthState | null): Promise<void> {
    await this.store.set(state);
    if (!state) await this.ledger?.clear().catch(() => undefined);
    this.emit(state);
  }

  private emit(state: AuthState | null): void {
    if (state === this.known) return;
    this.known = state;
    for (const listener of this.listeners) listener(state);
  }
}

/** Whether the access token is near enough its expiry to refresh it before the next call. */
function due(state: AuthState): boolean {
  return (state.refreshAt ?? state.expiresAt) <= Date.now();
}
