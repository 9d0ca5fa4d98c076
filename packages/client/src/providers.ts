import type { CallOptions, Transport } from './http.js';
import type { SignIn } from './auth.js';

/** A provider a sign-in page can offer (GET /auth/providers). */
export interface ProviderInfo {
  name: string;
  displayName: string;
  preset: string;
}

/** A provider account linked to the signed-in user. */
export interface Identity {
  id: string;
  provider: string;
  email: string | null;
  emailVerified: boolean;
  createdAt: string;
  lastSignInAt: string | null;
}

/** Where the verifier waits while the browser is at the provider: sessionStorage by default (it survives the redirects, not the tab). */
export interface VerifierStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface StartOptions extends CallOptions {
  /** Your return page, on the server's allow-list (OAUTH_REDIRECT_URLS). */
  redirect: string;
  /** Called with the provider URL instead of `location.assign` (a popup, a test, a native shell). */
  navigate?: (url: string) => void;
}

export interface PopupOptions extends CallOptions {
  /** The return page the popup lands on, on the allow-list: it calls `relay()`. */
  redirect: string;
  /** `window.open` features (default: a 500×650 popup). */
  features?: string;
}

/** What the return page learned: signed in (or an MFA challenge), or a provider linked. */
export type ProviderOutcome = SignIn | { linked: Identity };

/** The sign-in came back refused: `code` is one of the documented `error` values (access_denied, account_exists …). */
export class ProviderSignInError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ProviderSignInError';
  }
}

const VERIFIER_KEY = 'backlot-provider-verifier';
const RELAY = 'backlot-provider-outcome';
/** How long a popup seen closed may still have its outcome on the way (relay() posts, then closes). */
const CLOSED_GRACE_MS = 1000;

interface ProvidersDeps {
  http: Transport;
  headers(): Promise<Record<string, string>>;
  /** Finishes a sign-in answer (tokens or MFA challenge) as a password sign-in does. */
  signedIn(path: string, body: Record<string, unknown>, options: CallOptions): Promise<SignIn>;
  storage?: VerifierStorage;
}

/**
 * Sign-in and linking with providers (Google, GitHub, any OpenID Connect issuer): the start makes a
 * random verifier, keeps it in sessionStorage and sends its SHA-256 as `challenge`; the return
 * page trades the one-time code together with that verifier, so a code planted in someone else's
 * browser (login CSRF) is worth nothing there.
 */
export class Providers {
  constructor(private readonly deps: ProvidersDeps) {}

  /** The enabled providers, for a sign-in page. */
  async list(options: CallOptions = {}): Promise<ProviderInfo[]> {
    return (await this.deps.http.send<ProviderInfo[]>({ method: 'GET', path: '/auth/providers', idempotent: true, ...options })).data;
  }

  /** Sends the browser to the provider; resolves with the URL it went to. */
  async signIn(provider: string, options: StartOptions): Promise<string> {
    const challenge = await this.newChallenge();
    const url = this.deps.http.url(`/auth/providers/${encodeURIComponent(provider)}/authorize`, { redirect: options.redirect, challenge });
    return this.go(url, options);
  }

  /** Links another provider to the signed-in user's account: sends the browser there; the return page calls `complete()`. */
  async link(provider: string, options: StartOptions): Promise<string> {
    const challenge = await this.newChallenge();
    const { data } = await this.deps.http.send<{ url: string }>({
      method: 'POST',
      path: '/users/me/identities',
      body: { provider, redirect: options.redirect, challenge },
      headers: await this.deps.headers(),
      signal: options.signal,
    });
    return this.go(data.url, options);
  }

  /** The signed-in user's linked providers. */
  async identities(options: CallOptions = {}): Promise<Identity[]> {
    const headers = await this.deps.headers();
    return (await this.deps.http.send<Identity[]>({ method: 'GET', path: '/users/me/identities', headers, idempotent: true, ...options }))
      .data;
  }

  /** Unlinks one (409 when it is the account's last way to sign in). */
  async unlink(identityId: string, options: CallOptions = {}): Promise<void> {
    const headers = await this.deps.headers();
    await this.deps.http.send({ method: 'DELETE', path: `/users/me/identities/${encodeURIComponent(identityId)}`, headers, ...options });
  }

  /**
   * Signs in through a popup and stays on this page. Call it from a click (browsers block other
   * popups). The verifier stays in this page's memory; the popup's return page hands the
   * outcome back with `relay()`. Rejects with ProviderSignInError `popup_blocked`, `popup_closed`
   * (closed before the end), or the provider's or server's refusal.
   */
  async signInWithPopup(provider: string, options: PopupOptions): Promise<SignIn> {
    // Opened before any await: a popup opened later is no longer part of the click.
    const popup = globalThis.open('about:blank', '_blank', options.features ?? 'popup,width=500,height=650');
    if (!popup) throw new ProviderSignInError('popup_blocked', 'The browser blocked the popup: call signInWithPopup from a click.');
    try {
      const { verifier, challenge } = await newVerifier();
      popup.location.href = this.deps.http.url(`/auth/providers/${encodeURIComponent(provider)}/authorize`, {
        redirect: options.redirect,
        challenge,
      });
      const params = new URL(await outcomeOf(popup, options.signal)).searchParams;
      return (await this.finish(params, verifier, options)) as SignIn;
    } finally {
      if (!popup.closed) popup.close();
    }
  }

  /**
   * On the return page of a popup sign-in: hands the page's URL (the outcome) to the page that
   * opened the popup, on this origin only, and closes the popup. False when this page is not
   * such a popup: finish with `complete()` then.
   */
  relay(pageUrl: string = globalThis.location?.href ?? ''): boolean {
    const opener = (globalThis as { opener?: Window | null }).opener;
    if (!opener || opener === (globalThis as unknown as Window)) return false;
    opener.postMessage({ type: RELAY, url: pageUrl }, globalThis.location.origin);
    globalThis.close();
    return true;
  }

  /**
   * On the return page: reads the outcome from its URL (default `location.href`) and finishes it.
   * Throws ProviderSignInError when the provider or the server refused. Take the code out of the
   * address bar afterwards (`history.replaceState`).
   */
  async complete(pageUrl: string = globalThis.location?.href ?? '', options: CallOptions = {}): Promise<ProviderOutcome> {
    const verifier = this.storage().getItem(VERIFIER_KEY);
    this.storage().removeItem(VERIFIER_KEY);
    return this.finish(new URL(pageUrl).searchParams, verifier, options);
  }

  private async finish(params: URLSearchParams, verifier: string | null, options: CallOptions): Promise<ProviderOutcome> {
    const error = params.get('error');
    if (error) throw new ProviderSignInError(error, params.get('error_description') ?? error);
    if (!verifier)
      throw new ProviderSignInError('no_verifier', 'This page did not start the sign-in (no verifier is kept here); start it again.');
    const linkCode = params.get('link_code');
    if (linkCode) {
      const { data } = await this.deps.http.send<Identity>({
        method: 'POST',
        path: '/users/me/identities/confirm',
        body: { code: linkCode, verifier },
        headers: await this.deps.headers(),
        ...options,
      });
      return { linked: data };
    }
    const code = params.get('code');
    if (!code) throw new ProviderSignInError('no_code', 'The page has no sign-in code.');
    return this.deps.signedIn('/auth/providers/exchange', { code, verifier }, options);
  }

  private async newChallenge(): Promise<string> {
    const { verifier, challenge } = await newVerifier();
    this.storage().setItem(VERIFIER_KEY, verifier);
    return challenge;
  }

  private go(url: string, options: StartOptions): string {
    if (options.navigate) options.navigate(url);
    else globalThis.location.assign(url);
    return url;
  }

  private storage(): VerifierStorage {
    const storage = this.deps.storage ?? (globalThis as { sessionStorage?: VerifierStorage }).sessionStorage;
    if (!storage) throw new Error('No sessionStorage here: pass `providerStorage` to createClient.');
    return storage;
  }
}

async function newVerifier(): Promise<{ verifier: string; challenge: string }> {
  const verifier = base64url(globalThis.crypto.getRandomValues(new Uint8Array(32)));
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return { verifier, challenge: base64url(new Uint8Array(digest)) };
}

/**
 * The URL the popup's return page relays: only a message from that popup, on this origin,
 * counts. Rejects when the popup is closed without one, or on abort.
 */
function outcomeOf(popup: Window, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    let closedAt = 0;
    const watch = setInterval(() => {
      if (!popup.closed) return;
      closedAt ||= Date.now();
      if (Date.now() - closedAt >= CLOSED_GRACE_MS)
        end(() => reject(new ProviderSignInError('popup_closed', 'The sign-in window was closed.')));
    }, 250);
    const onMessage = (event: MessageEvent) => {
      const data = event.data as { type?: unknown; url?: unknown } | null;
      if (event.origin !== globalThis.location.origin || event.source !== popup || data?.type !== RELAY || typeof data.url !== 'string')
        return;
      end(() => resolve(data.url as string));
    };
    const onAbort = () => end(() => reject(signal!.reason));
    function end(settle: () => void) {
      clearInterval(watch);
      globalThis.removeEventListener('message', onMessage);
      signal?.removeEventListener('abort', onAbort);
      settle();
    }
    globalThis.addEventListener('message', onMessage);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
