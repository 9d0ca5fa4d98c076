import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import type * as Sdk from '@backlot/client';
import { createUser, login, postJson, sessionFor, type UserSession } from '@backlot/testing/auth';
import { launchChromium } from '@backlot/testing/browser';
import { addRecord, defineCollection, OWNER_ONLY_RULES } from '@backlot/testing/data';
import { compileClientModules, serveSdkHarness, type SdkHarness } from '@backlot/testing/sdk-harness';
import { TcpProxy } from '@backlot/testing/tcp-proxy';
import { startTestApp, type TestApp } from '@backlot/testing/test-app';
import { eventually } from '@backlot/testing/test-jobs';
import { RealtimeHub } from '../../../apps/api/src/data/realtime/realtime-hub';

/** Short enough that a test lives through several expiries; the SDK refreshes at half of it. */
const ACCESS_TOKEN_SECONDS = 4;
/** A slow network for refreshes: long enough that the other tabs always call while one refreshes. */
const REFRESH_LATENCY_MS = 500;

/** One tab's share of the race, kept on its page. */
interface RaceTab {
  client: Sdk.BacklotClient;
  calls: number;
  failures: string[];
  /** onChange with new tokens: this tab's own refreshes, and those it took from another tab under the lock. */
  renewed: number;
  /** onChange(null): this tab signed out. */
  signedOut: number;
  /** `storage` events of another tab emptying the shared store. */
  emptiedElsewhere: number;
  tokensSeen: Set<string>;
}

interface RealtimeTab {
  client: Sdk.BacklotClient;
  events: { id: string; action: string; title: string }[];
  resyncs: string[];
  errors: string[];
}

/** What the harness page's globals hold: the SDK (test/fixtures/sdk-browser) and what a test keeps there. */
interface Harness {
  sdk: typeof Sdk;
  race: RaceTab;
  live: RealtimeTab;
  client: Sdk.BacklotClient;
}

/**
 * The SDK in headless Chromium (Debian's, through playwright-core), loaded as ES modules by a
 * page on another origin than the API, against a real Backlot whose access tokens live
 * ACCESS_TOKEN_SECONDS and that forgives no refresh-token reuse (REFRESH_REUSE_GRACE_SECONDS=0):
 * only the SDK stands between several tabs and a sign-out.
 */
describe('@backlot/client in a real browser', () => {
  let sdk: ReturnType<typeof compileClientModules>;
  let harness: SdkHarness;
  let t: TestApp;
  let browser: Browser;
  /** Uncaught exceptions and unhandled rejections of every page: the SDK must leave none. */
  const uncaught: string[] = [];

  async function openHarness(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => uncaught.push(error.message));
    await page.goto(harness.url);
    await page.waitForFunction(() => 'sdk' in globalThis);
    return page;
  }

  const isRefresh = (request: Request) => request.method() === 'POST' && new URL(request.url()).pathname === '/api/v1/auth/refresh';

  beforeAll(async () => {
    sdk = compileClientModules();
    // The page's origin goes into the API's CORS_ORIGINS, so the page server starts first; tsc runs meanwhile.
    harness = await serveSdkHarness(sdk.dir);
    const started = await Promise.allSettled([
      startTestApp({
        env: { CORS_ORIGINS: harness.url, REFRESH_REUSE_GRACE_SECONDS: '0', AUTH_RATE_LIMIT_MAX: '10000', RATE_LIMIT_MAX: '1000000' },
        tune: (config) => ({ ...config, auth: { ...config.auth, accessTokenTtlSeconds: ACCESS_TOKEN_SECONDS } }),
      }).then((app) => (t = app)),
      launchChromium().then((launched) => (browser = launched)),
      sdk.compiled,
    ]);
    // Whatever did start is closed by afterAll.
    for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
    const admin = await createUser(t, { role: 'admin' });
    const adminSession = sessionFor(t, admin, await login(t, admin.email, admin.password));
    await defineCollection(adminSession, 'notes', [{ name: 'title', type: 'text', required: true, maxLength: 200 }], OWNER_ONLY_RULES);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await harness?.close();
    sdk?.remove();
  });

  afterEach(() => expect(uncaught.splice(0)).toEqual([]));

  describe('tabs of one origin sharing a LocalStorageStore, calling through many access-token expiries', () => {
    /** Opens a tab with its own client on the shared store; `lockName` is the SDK's (the default unless given). */
    async function openTab(context: BrowserContext, lockName?: string): Promise<Page> {
      const page = await openHarness(context);
      await page.evaluate(
        ({ url, lockName }) => {
          const harness = globalThis as unknown as Harness;
          const client = harness.sdk.createClient({ url, store: new harness.sdk.LocalStorageStore(), ...(lockName && { lockName }) });
          const race: RaceTab = { client, calls: 0, failures: [], renewed: 0, signedOut: 0, emptiedElsewhere: 0, tokensSeen: new Set() };
          client.auth.onChange((state) => (state ? race.renewed++ : race.signedOut++));
          addEventListener('storage', (event) => {
            if (event.key === 'backlot.auth' && event.newValue === null) race.emptiedElsewhere++;
          });
          harness.race = race;
        },
        { url: t.baseUrl, lockName },
      );
      return page;
    }

    /**
     * Bursts of authenticated calls (GET /users/me) every `everyMs`, until this tab has made
     * `minCalls` and seen `generations` access tokens in the shared store, or the store is
     * emptied (signed out), or the deadline passes.
     */
    function callThroughExpiries(page: Page, generations: number) {
      return page.evaluate(
        async ({ generations, minCalls, burst, everyMs, deadlineMs }) => {
          const { race } = globalThis as unknown as Harness;
          const stored = () => localStorage.getItem('backlot.auth');
          const deadline = Date.now() + deadlineMs;
          while ((race.calls < minCalls || race.tokensSeen.size < generations) && stored() !== null && Date.now() < deadline) {
            const next = Date.now() + everyMs;
            race.calls += burst;
            await Promise.all(
              Array.from({ length: burst }, () =>
                race.client.me().then(
                  () => undefined,
                  (error: { status?: number; message?: string }) =>
                    void race.failures.push(`${error.status ?? 'network'} ${error.message}`),
                ),
              ),
            );
            const state = stored();
            if (state) race.tokensSeen.add((JSON.parse(state) as { accessToken: string }).accessToken);
            await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
          }
          const { calls, failures, renewed, signedOut, emptiedElsewhere, tokensSeen } = race;
          return { calls, failures, renewed, signedOut, emptiedElsewhere, generations: tokensSeen.size, stored: stored() };
        },
        { generations, minCalls: 300, burst: 6, everyMs: 200, deadlineMs: 60_000 },
      );
    }

    const contexts: BrowserContext[] = [];
    afterEach(async () => {
      for (const context of contexts.splice(0)) await context.close();
    });

    /** A browser profile whose refreshes cross a slow network; `spent`: the refresh tokens they presented, in order. */
    async function slowRefreshContext(): Promise<{ context: BrowserContext; spent: string[] }> {
      const context = await browser.newContext();
      contexts.push(context);
      const spent: string[] = [];
      context.on('request', (request) => {
        if (isRefresh(request)) spent.push((request.postDataJSON() as { refreshToken: string }).refreshToken);
      });
      await context.route(`${t.baseUrl}/api/v1/auth/refresh`, async (route) => {
        await new Promise((resolve) => setTimeout(resolve, REFRESH_LATENCY_MS));
        await route.continue();
      });
      return { context, spent };
    }

    it('three tabs make hundreds of calls each with zero failures and zero sign-outs, refreshing one at a time', async () => {
      const user = await createUser(t);
      const { context, spent } = await slowRefreshContext();
      const tabs = [await openTab(context), await openTab(context), await openTab(context)];
      await tabs[0].evaluate(({ email, password }) => (globalThis as unknown as Harness).race.client.auth.login(email, password), user);

      const results = await Promise.all(tabs.map((tab) => callThroughExpiries(tab, 6)));

      const total = (count: (result: (typeof results)[number]) => number) => results.reduce((sum, result) => sum + count(result), 0);
      expect({
        failedCalls: results.flatMap((result) => result.failures),
        signOuts: total((result) => result.signedOut),
        storesEmptiedByAnotherTab: total((result) => result.emptiedElsewhere),
        sessionsLeft: results.filter((result) => result.stored !== null).length,
        // What the lock is for: a refresh token goes to the server once, whichever tab holds it.
        refreshTokensSpentTwice: spent.length - new Set(spent).size,
      }).toEqual({ failedCalls: [], signOuts: 0, storesEmptiedByAnotherTab: 0, sessionsLeft: 3, refreshTokensSpentTwice: 0 });
      for (const result of results) {
        expect(result.calls).toBeGreaterThanOrEqual(300);
        expect(result.generations).toBeGreaterThanOrEqual(6);
      }
      // Several expiries went by, and each was one refresh for all tabs, not one per call or per tab.
      expect(spent.length).toBeGreaterThanOrEqual(5);
      expect(spent.length).toBeLessThan(total((result) => result.calls) / 50);
      // The tabs did meet at the lock: new tokens a tab did not fetch (nor sign in for) it took from the store after waiting.
      expect(total((result) => result.renewed) - 1 - spent.length).toBeGreaterThan(0);

      // The server agrees: the refresh token the tabs hold is the live one of a session that was never revoked.
      const { refreshToken } = JSON.parse(results[0].stored!) as { refreshToken: string };
      expect((await postJson(t, '/auth/refresh', { refreshToken })).status).toBe(200);
    }, 120_000);

    it('(the hazard) two tabs that do not share the lock spend one refresh token twice, and the server ends the session', async () => {
      // The server's side, from Node: a spent refresh token sent again revokes the whole family, its successor too.
      const account = await createUser(t);
      const issued = await login(t, account.email, account.password);
      const rotated = await postJson(t, '/auth/refresh', { refreshToken: issued.refreshToken });
      expect(rotated.status).toBe(200);
      const { refreshToken: successor } = (await rotated.json()) as { refreshToken: string };
      expect((await postJson(t, '/auth/refresh', { refreshToken: issued.refreshToken })).status).toBe(401);
      expect((await postJson(t, '/auth/refresh', { refreshToken: successor })).status).toBe(401);

      const user = await createUser(t);
      const { context, spent } = await slowRefreshContext();
      const tabs = [await openTab(context, 'first-tab-only'), await openTab(context, 'second-tab-only')];
      await tabs[0].evaluate(({ email, password }) => (globalThis as unknown as Harness).race.client.auth.login(email, password), user);
      const { refreshToken: first } = JSON.parse((await tabs[0].evaluate(() => localStorage.getItem('backlot.auth')))!) as {
        refreshToken: string;
      };

      const results = await Promise.all(tabs.map((tab) => callThroughExpiries(tab, 6)));

      // Both signed out: the tab whose refresh was refused cleared the shared store (which tab that is is down to timing).
      expect(results.map((result) => result.stored)).toEqual([null, null]);
      expect(results.flatMap((result) => result.failures)).toContainEqual(expect.stringMatching(/^401 /));
      expect(spent.length - new Set(spent).size).toBeGreaterThan(0);
      // Reuse detection revoked the whole family: even a token from before the race is refused.
      expect((await postJson(t, '/auth/refresh', { refreshToken: first })).status).toBe(401);
    }, 120_000);
  });

  it('realtime: a stream cut by the network resumes with Last-Event-ID, with what was missed, once each, and no resync', async () => {
    const user = await createUser(t);
    const writer: UserSession = sessionFor(t, user, await login(t, user.email, user.password));
    // The page reaches the API through a hop the test can cut, as a network would drop.
    const proxy = await TcpProxy.start(Number(new URL(t.baseUrl).port));
    const context = await browser.newContext();
    const streams: Request[] = [];
    context.on('request', (request) => void (new URL(request.url()).pathname === '/api/v1/realtime' && streams.push(request)));
    try {
      const page = await openHarness(context);
      await page.evaluate(
        async ({ url, email, password }) => {
          const harness = globalThis as unknown as Harness;
          const client = harness.sdk.createClient({ url });
          await client.auth.login(email, password);
          const live: RealtimeTab = { client, events: [], resyncs: [], errors: [] };
          harness.live = live;
          const subscription = client.realtime.subscribe<{ title: string }>(
            'notes',
            (event) => live.events.push({ id: event.id, action: event.action, title: event.record.title }),
            { onResync: (reason) => live.resyncs.push(reason), onError: (error) => live.errors.push(error.message) },
          );
          await subscription.ready;
        },
        { url: `http://127.0.0.1:${proxy.port}`, email: user.email, password: user.password },
      );
      const received = (count: number) =>
        page.waitForFunction((count) => (globalThis as unknown as Harness).live.events.length >= count, count, { timeout: 30_000 });

      await addRecord(writer, 'notes', { title: 'before the cut' });
      await received(1);

      proxy.cut();
      const hub = t.app.get(RealtimeHub);
      await eventually('the server to see the stream gone', () => hub.size === 0);
      await addRecord(writer, 'notes', { title: 'while away 1' });
      await addRecord(writer, 'notes', { title: 'while away 2' });
      proxy.mend();
      await received(3);
      await eventually('the resumed stream registered', () => hub.size === 1);
      await addRecord(writer, 'notes', { title: 'after' });
      await received(4);

      const live = await page.evaluate(() => {
        const { events, resyncs, errors } = (globalThis as unknown as Harness).live;
        return { events, resyncs, errors };
      });
      expect(live.events.map((event) => [event.action, event.title])).toEqual([
        ['created', 'before the cut'],
        ['created', 'while away 1'],
        ['created', 'while away 2'],
        ['created', 'after'],
      ]);
      expect(new Set(live.events.map((event) => event.id)).size).toBe(4);
      expect(live.resyncs).toEqual([]);
      expect(live.errors).toEqual([]);
      // The stream that brought the missed events back asked for what followed the last one seen.
      expect(streams.length).toBeGreaterThanOrEqual(2);
      expect((await streams.at(-1)!.allHeaders())['last-event-id']).toBe(live.events[0].id);
      // Nothing more arrives late (a duplicate of a replayed event, say): a later write is the next event.
      await addRecord(writer, 'notes', { title: 'last' });
      await received(5);
      expect(await page.evaluate(() => (globalThis as unknown as Harness).live.events.map((event) => event.title))).toEqual([
        'before the cut',
        'while away 1',
        'while away 2',
        'after',
        'last',
      ]);
    } finally {
      await context.close();
      await proxy.close();
    }
  }, 120_000);

  it('cookie mode: the refresh token is an httpOnly cookie, the session survives a reload and expiry, and logout ends it', async () => {
    const user = await createUser(t);
    const context = await browser.newContext();
    const authCalls: Request[] = [];
    context.on('request', (request) => void (new URL(request.url()).pathname.startsWith('/api/v1/auth/') && authCalls.push(request)));
    const refreshCookie = async () => (await context.cookies(`${t.baseUrl}/api/v1/auth`)).find((c) => c.name === 'backlot_refresh');
    const signIn = async (page: Page) =>
      page.evaluate(
        async ({ url, email, password }) => {
          const harness = globalThis as unknown as Harness;
          harness.client = harness.sdk.createClient({ url, mode: 'cookie' });
          await harness.client.auth.login(email, password);
        },
        { url: t.baseUrl, email: user.email, password: user.password },
      );
    const stateOf = (page: Page) => page.evaluate(() => (globalThis as unknown as Harness).client.auth.session());
    const me = (page: Page) => page.evaluate(async () => (await (globalThis as unknown as Harness).client.me<{ email: string }>()).email);

    try {
      const page = await openHarness(context);
      const loginAnswer = page.waitForResponse((response) => new URL(response.url()).pathname === '/api/v1/auth/login');
      await signIn(page);
      expect(await (await loginAnswer).json()).not.toHaveProperty('refreshToken');

      const cookie = await refreshCookie();
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/v1/auth' });
      const state = await stateOf(page);
      expect(state).toMatchObject({ accessToken: expect.any(String) });
      expect(state).not.toHaveProperty('refreshToken');
      expect(await page.evaluate(() => [document.cookie, localStorage.length, sessionStorage.length])).toEqual(['', 0, 0]);
      // Even a document on the cookie's own path cannot read it: httpOnly, not just another path.
      const onCookiePath = await context.newPage();
      await onCookiePath.goto(`${t.baseUrl}/api/v1/auth/sessions`);
      expect(await onCookiePath.evaluate(() => document.cookie)).toBe('');
      await onCookiePath.close();

      // Expiry: once the access token is due, the next call refreshes first, with the cookie and the CSRF header.
      await page.waitForFunction((refreshAt) => Date.now() >= refreshAt, state!.refreshAt!);
      const refreshed = page.waitForRequest(isRefresh);
      expect(await me(page)).toBe(user.email);
      const headers = await (await refreshed).allHeaders();
      expect(headers['x-backlot-csrf']).toBe('1');
      expect(headers.cookie).toContain(`backlot_refresh=${cookie!.value}`);
      expect((await stateOf(page))!.accessToken).not.toBe(state!.accessToken);
      const rotated = (await refreshCookie())!.value;
      expect(rotated).not.toBe(cookie!.value);

      // A reload forgets the access token (memory only); the cookie brings the session back.
      await page.reload();
      await page.waitForFunction(() => 'sdk' in globalThis);
      const resumed = await page.evaluate(async (url) => {
        const harness = globalThis as unknown as Harness;
        harness.client = harness.sdk.createClient({ url, mode: 'cookie' });
        const before = await harness.client.auth.session();
        return { before, after: await harness.client.auth.refresh() };
      }, t.baseUrl);
      expect(resumed.before).toBeNull();
      expect(resumed.after).toMatchObject({ accessToken: expect.any(String) });
      expect(await me(page)).toBe(user.email);
      const lastCookie = (await refreshCookie())!.value;

      // Logout clears the cookie and ends the session: refreshing afterwards fails, here and with the old cookie.
      await page.evaluate(() => (globalThis as unknown as Harness).client.auth.logout());
      expect(await refreshCookie()).toBeUndefined();
      const afterLogout = await page.evaluate(async () => {
        const { client } = globalThis as unknown as Harness;
        return client.auth.refresh().then(
          () => 'refreshed',
          (error: { status?: number }) => error.status,
        );
      });
      expect(afterLogout).toBe(401);
      const replayed = await postJson(
        t,
        '/auth/refresh',
        {},
        { cookie: `backlot_refresh=${lastCookie}`, origin: harness.url, 'x-backlot-csrf': '1' },
      );
      // Read and refused (not missing): the cookie's token belongs to a session that is over.
      expect(replayed.status).toBe(401);
      expect(((await replayed.json()) as { detail: string }).detail).toMatch(/invalid, expired or revoked/);

      // Every call that read or set the cookie carried the CSRF header.
      const cookieCalls = authCalls.filter((request) => request.method() === 'POST');
      expect(cookieCalls.length).toBeGreaterThanOrEqual(4);
      for (const request of cookieCalls) expect((await request.allHeaders())['x-backlot-csrf']).toBe('1');
    } finally {
      await context.close();
    }
  }, 120_000);
});
