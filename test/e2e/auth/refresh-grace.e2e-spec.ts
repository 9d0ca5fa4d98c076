import { DatabaseConnection } from '@backlot/database';
import { AuditService, FieldEncryption, sha256 } from '@backlot/security';
import { createUser, login, postJson, signedInUser } from '@backlot/testing/auth';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';
import { jobsSettled, queueOf } from '@backlot/testing/test-jobs';

const AGENT = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';
const GRACE_SECONDS = 10; // REFRESH_REUSE_GRACE_SECONDS default

interface Tokens {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
}

describe('refresh-token reuse inside the grace window (REFRESH_REUSE_GRACE_SECONDS default)', () => {
  let t: TestApp;
  let db: DatabaseConnection;

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '10000' } });
    db = t.app.get(DatabaseConnection);
  });
  afterAll(() => t?.close());

  function refresh(refreshToken: string, agent = AGENT): Promise<Response> {
    return postJson(t, '/auth/refresh', { refreshToken }, { 'user-agent': agent });
  }

  async function refreshed(refreshToken: string): Promise<Tokens> {
    const response = await refresh(refreshToken);
    expect(response.status).toBe(200);
    return json<Tokens>(response);
  }

  function me(accessToken: string): Promise<Response> {
    return t.request('/api/v1/users/me', { headers: { authorization: `Bearer ${accessToken}` } });
  }

  async function liveRefreshTokens(sessionId: string): Promise<number> {
    const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM refresh_tokens WHERE session_id = $1 AND used_at IS NULL', [
      sessionId,
    ]);
    return row.n;
  }

  /** Moves a spent token's first use `seconds` into the past (and the session's rotation with it). */
  async function spentAgo(refreshToken: string, seconds: number): Promise<void> {
    const [{ session_id: sessionId }] = await db.query<{ session_id: string }>(
      `UPDATE refresh_tokens SET used_at = used_at - make_interval(secs => $2) WHERE token_hash = $1 RETURNING session_id`,
      [sha256(refreshToken), seconds],
    );
    await db.query('UPDATE sessions SET last_used_at = last_used_at - make_interval(secs => $2) WHERE id = $1', [sessionId, seconds]);
  }

  async function reuseEvents(sessionId: string) {
    const page = await t.app.get(AuditService).query({ action: 'auth.refresh-token.reused', targetId: sessionId }, { limit: 10 });
    return page.items;
  }

  async function expectRevoked(sessionId: string, tokens: Tokens): Promise<void> {
    expect((await refresh(tokens.refreshToken)).status).toBe(401);
    expect((await me(tokens.accessToken)).status).toBe(401);
    expect(await reuseEvents(sessionId)).toEqual([
      expect.objectContaining({
        outcome: 'denied',
        targetType: 'session',
        targetId: sessionId,
        details: expect.objectContaining({ sessionRevoked: true }),
      }),
    ]);
  }

  it('answers a spent token replayed at once by the same client with the successor it already got, and a working access token', async () => {
    const user = await signedInUser(t, { userAgent: AGENT });
    const first = await refreshed(user.refreshToken);
    const again = await refreshed(user.refreshToken);

    expect(again.refreshToken).toBe(first.refreshToken);
    expect(again.sessionId).toBe(user.sessionId);
    expect((await me(again.accessToken)).status).toBe(200);
    expect(await liveRefreshTokens(user.sessionId)).toBe(1);

    // The chain goes on from that one successor.
    const next = await refreshed(first.refreshToken);
    expect(next.refreshToken).not.toBe(first.refreshToken);
    expect(await liveRefreshTokens(user.sessionId)).toBe(1);
    expect(await reuseEvents(user.sessionId)).toEqual([]);
  });

  it('gives every one of many simultaneous refreshes with one token the same successor', async () => {
    const user = await signedInUser(t, { userAgent: AGENT });
    const responses = await Promise.all(Array.from({ length: 8 }, () => refresh(user.refreshToken)));
    expect(responses.map((response) => response.status)).toEqual(Array(8).fill(200));
    const successors = new Set((await Promise.all(responses.map((response) => json<Tokens>(response)))).map((body) => body.refreshToken));
    expect(successors.size).toBe(1);
    expect(await liveRefreshTokens(user.sessionId)).toBe(1);
    expect((await refresh([...successors][0])).status).toBe(200);
  });

  it('treats a replay of the older token as reuse once its successor has been used: the session is revoked and audited', async () => {
    const user = await signedInUser(t, { userAgent: AGENT });
    const first = await refreshed(user.refreshToken);
    const second = await refreshed(first.refreshToken);

    // Still inside the window of its first use, but the chain has moved on.
    expect((await refresh(user.refreshToken)).status).toBe(401);
    await expectRevoked(user.sessionId, second);
  });

  it('revokes the session, and audits it, when a spent token comes back after the window', async () => {
    const user = await signedInUser(t, { userAgent: AGENT });
    const first = await refreshed(user.refreshToken);
    await spentAgo(user.refreshToken, GRACE_SECONDS + 1);

    const late = await refresh(user.refreshToken);
    expect(late.status).toBe(401);
    expect(late.headers.get('content-type')).toContain('application/problem+json');
    await expectRevoked(user.sessionId, first);
    expect((await reuseEvents(user.sessionId))[0].details).toMatchObject({ secondsSinceFirstUse: GRACE_SECONDS + 1 });
  });

  it('revokes the session when a spent token comes back from another user agent, even at once', async () => {
    const user = await signedInUser(t, { userAgent: AGENT });
    const first = await refreshed(user.refreshToken);

    const stolen = await refresh(user.refreshToken, 'curl/8.5.0');
    expect(stolen.status).toBe(401);
    await expectRevoked(user.sessionId, first);
  });

  it('revokes only the session of the reused token, not the user’s other sessions', async () => {
    const user = await signedInUser(t, { userAgent: AGENT });
    const other = await login(t, user.email, user.password, { 'user-agent': AGENT });
    await refreshed(other.refreshToken);
    expect((await refresh(other.refreshToken, 'curl/8.5.0')).status).toBe(401);
    expect((await me(other.accessToken)).status).toBe(401);
    expect((await user.request('/users/me')).status).toBe(200);
  });

  it('leaves a thief who replays a copied token inside the window on the owner’s chain, so their next divergence ends the session', async () => {
    const owner = await signedInUser(t, { userAgent: AGENT });
    const ownerTokens = await refreshed(owner.refreshToken);
    // The thief copied the spent token and the user agent, and is quick.
    const thiefTokens = await refreshed(owner.refreshToken);
    expect(thiefTokens.refreshToken).toBe(ownerTokens.refreshToken);

    // The owner refreshes on; the thief's copy is now a spent token, presented later.
    const ownerNext = await refreshed(ownerTokens.refreshToken);
    await spentAgo(ownerTokens.refreshToken, GRACE_SECONDS + 1);
    expect((await refresh(thiefTokens.refreshToken)).status).toBe(401);
    await expectRevoked(owner.sessionId, ownerNext);
  });

  it('keeps the successor sealed and masked with the spent token, and the cleanup job clears it after the window', async () => {
    const user = await signedInUser(t, { userAgent: AGENT });
    const first = await refreshed(user.refreshToken);
    const [spent] = await db.query<{ id: string }>('SELECT id FROM refresh_tokens WHERE token_hash = $1', [sha256(user.refreshToken)]);
    const row = async () =>
      (
        await db.query<{ last_spent_token_id: string | null; successor_sealed: string | null }>(
          'SELECT last_spent_token_id, successor_sealed FROM sessions WHERE id = $1',
          [user.sessionId],
        )
      )[0];

    const stored = await row();
    expect(stored.last_spent_token_id).toBe(spent.id);
    expect(stored.successor_sealed).toMatch(/^enc:v1:/);
    // With the encryption key but without the spent token, the stored value is not the successor.
    const unsealed = t.app.get(FieldEncryption).decrypt(stored.successor_sealed!, `refresh-token:${spent.id}:successor`);
    expect(unsealed).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(unsealed).not.toBe(first.refreshToken);

    await spentAgo(user.refreshToken, GRACE_SECONDS + 1);
    const purge = (await queueOf(t).enqueue('auth.purge-expired', {}))!;
    await jobsSettled(t);
    expect((await queueOf(t).get(purge)).state).toBe('completed');
    expect(await row()).toEqual({ last_spent_token_id: null, successor_sealed: null });
    // The session itself lives on.
    expect((await refresh(first.refreshToken)).status).toBe(200);
  });

  it('gives two tabs refreshing with one cookie the same new cookie', async () => {
    const account = await createUser(t);
    const sameSite = { origin: t.baseUrl, 'x-backlot-csrf': '1', 'user-agent': AGENT };
    const signedIn = await postJson(t, '/auth/login', { email: account.email, password: account.password, cookie: true }, sameSite);
    expect(signedIn.status).toBe(200);
    const cookie = (response: Response) =>
      response.headers
        .getSetCookie()
        .find((header) => header.startsWith('backlot_refresh='))!
        .split(';')[0];

    const tabs = await Promise.all([1, 2].map(() => postJson(t, '/auth/refresh', {}, { ...sameSite, cookie: cookie(signedIn) })));
    expect(tabs.map((tab) => tab.status)).toEqual([200, 200]);
    expect(cookie(tabs[0])).toBe(cookie(tabs[1]));
    expect(cookie(tabs[0])).not.toBe(cookie(signedIn));
  });
});
