import { type AuthStore, createClient, LocalStorageStore, MemoryStore, ProblemError } from '../src/index';

/** A fetch that answers like the API's auth routes, counting refreshes; `/users/me` needs the latest access token. */
function fakeServer(options: { expiresIn?: number } = {}) {
  let generation = 0;
  const calls: { path: string; init: RequestInit }[] = [];
  const tokens = () => ({
    accessToken: `access-${generation}`,
    tokenType: 'Bearer',
    expiresIn: options.expiresIn ?? 900,
    refreshToken: `refresh-${generation}`,
    sessionId: 's1',
  });
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', 'x-request-id': `r${calls.length}` },
    });
  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const path = new URL(String(input)).pathname.replace('/api/v1', '');
    calls.push({ path, init });
    const body = init.body ? (JSON.parse(String(init.body)) as Record<string, unknown>) : {};
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (path === '/auth/login') return json(200, tokens());
    if (path === '/auth/refresh') {
      // Rotation with reuse detection: only the latest refresh token is good.
      if (body.refreshToken !== undefined && body.refreshToken !== `refresh-${generation}`)
        return json(401, { status: 401, detail: 'reused' });
      generation++;
      return json(200, tokens());
    }
    if (path === '/users/me') {
      const auth = new Headers(init.headers).get('authorization');
      return auth === `Bearer access-${generation}` ? json(200, { id: 'u1' }) : json(401, { status: 401, detail: 'expired' });
    }
    return json(404, { status: 404, detail: `no ${path}` });
  };
  return { fetch: fetch as typeof globalThis.fetch, calls, refreshes: () => calls.filter((c) => c.path === '/auth/refresh').length };
}

const expire = async (store: AuthStore) => {
  const state = await store.get();
  await store.set({ ...state!, expiresAt: Date.now() - 1, refreshAt: Date.now() - 1 });
};

/** A client signed in against a fake server, its session in a memory store the test can reach into. */
async function signedIn(options: { expiresIn?: number; mode?: 'body' | 'cookie' } = {}) {
  const server = fakeServer({ expiresIn: options.expiresIn });
  const store: AuthStore = new MemoryStore();
  const client = createClient({ url: 'http://api.test', fetch: server.fetch, store, mode: options.mode });
  const answer = await client.auth.login('ada@example.com', 'pw');
  return { server, store, client, answer };
}

describe('auth: tokens and refresh', () => {
  it('signs in, sends the access token, and refreshes once for many calls made when it is due', async () => {
    const { server, store, client, answer } = await signedIn();
    expect(answer).toEqual({ signedIn: true });
    const seen: (string | undefined)[] = [];
    client.auth.onChange((state) => seen.push(state?.accessToken));
    await expire(store);

    const answers = await Promise.all(Array.from({ length: 25 }, () => client.me()));
    expect(answers).toHaveLength(25);
    expect(server.refreshes()).toBe(1);
    expect(seen).toEqual(['access-1']);
  });

  it('refreshes ahead of expiry: at most half the token’s life before it, by default 30 s', async () => {
    const { server, store, client } = await signedIn({ expiresIn: 40 });
    const state = (await store.get())!;
    expect(state.expiresAt - state.refreshAt!).toBe(20_000);
    await client.me();
    expect(server.refreshes()).toBe(0);
  });

  it('answers a 401 by refreshing and sending the call again, once', async () => {
    const { server, store, client } = await signedIn();
    // The server moved on (another device refreshed this session) while the stored token still looks fresh.
    await store.set({ ...(await store.get())!, accessToken: 'revoked' });
    expect(await client.me()).toEqual({ id: 'u1' });
    expect(server.refreshes()).toBe(1);
  });

  it('signs out when the refresh token is refused (401), and says so to listeners', async () => {
    const { store, client } = await signedIn();
    await store.set({ ...(await store.get())!, refreshToken: 'stolen-and-spent', expiresAt: 0, refreshAt: 0 });
    const states: unknown[] = [];
    client.auth.onChange((state) => states.push(state));
    const failed = await client.me().catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(ProblemError);
    expect((failed as ProblemError).status).toBe(401);
    expect(await store.get()).toBeNull();
    expect(states).toEqual([null]);
  });

  it('tells the listeners of a client that only read a shared session that it ended', async () => {
    const { server, store } = await signedIn();
    // Another tab's client: it never signed in itself, it found the session in the shared store.
    const other = createClient({ url: 'http://api.test', fetch: server.fetch, store });
    await store.set({ ...(await store.get())!, refreshToken: 'spent', expiresAt: 0, refreshAt: 0 });
    const states: unknown[] = [];
    other.auth.onChange((state) => states.push(state));
    await other.me().catch(() => undefined);
    expect(states).toEqual([null]);
  });

  it('lets only one tab refresh: a tab that waited for the lock takes the tokens the other stored', async () => {
    const server = fakeServer();
    const shared = new Map<string, string>();
    const storage = {
      getItem: (k: string) => shared.get(k) ?? null,
      setItem: (k: string, v: string) => void shared.set(k, v),
      removeItem: (k: string) => void shared.delete(k),
    };
    // Web Locks as browsers give them: one holder per name, the others queued.
    let tail = Promise.resolve();
    const locks = {
      request: <T>(_name: string, work: () => Promise<T>) => {
        const run = tail.then(work);
        tail = run.then(
          () => undefined,
          () => undefined,
        );
        return run;
      },
    };
    Object.defineProperty(globalThis, 'navigator', { value: { locks }, configurable: true });
    try {
      const tab = () =>
        createClient({ url: 'http://api.test', fetch: server.fetch, store: new LocalStorageStore('backlot.auth', storage) });
      const [one, two] = [tab(), tab()];
      await one.auth.login('ada@example.com', 'pw');
      await expire(new LocalStorageStore('backlot.auth', storage));
      const answers = await Promise.all([one.me(), two.me(), one.me(), two.me()]);
      expect(answers).toHaveLength(4);
      // Without the lock the second tab would spend refresh-0 again: the server's reuse detection would end the session.
      expect(server.refreshes()).toBe(1);
    } finally {
      Reflect.deleteProperty(globalThis, 'navigator');
    }
  });

  it('in cookie mode, keeps no refresh token, sends the CSRF header and credentials, and asks for the cookie', async () => {
    const { server, store, client } = await signedIn({ mode: 'cookie' });
    expect((await store.get())!.refreshToken).toBeUndefined();
    const login = server.calls.find((c) => c.path === '/auth/login')!;
    expect(JSON.parse(String(login.init.body))).toMatchObject({ cookie: true });
    expect(new Headers(login.init.headers).get('x-backlot-csrf')).toBe('1');
    expect(login.init.credentials).toBe('include');
    await expire(store);
    await client.me();
    const refresh = server.calls.find((c) => c.path === '/auth/refresh')!;
    expect(JSON.parse(String(refresh.init.body))).toEqual({});
    expect(new Headers(refresh.init.headers).get('x-backlot-csrf')).toBe('1');
  });

  it('in cookie mode, resumes the session from the cookie when a page loads with nothing stored', async () => {
    const { server } = await signedIn({ mode: 'cookie' });
    const reloaded = createClient({ url: 'http://api.test', fetch: server.fetch, mode: 'cookie' });
    expect(await reloaded.auth.refresh()).toMatchObject({ accessToken: 'access-1' });
    expect(await reloaded.me()).toEqual({ id: 'u1' });
  });

  it('in API key mode, sends the key and never refreshes', async () => {
    const server = fakeServer();
    const client = createClient({ url: 'http://api.test', fetch: server.fetch, apiKey: 'blk_test' });
    await client.me().catch(() => undefined);
    expect(new Headers(server.calls[0].init.headers).get('x-api-key')).toBe('blk_test');
    expect(server.refreshes()).toBe(0);
  });
});
