import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

export interface GitHubUser {
  id: number;
  login: string;
  name?: string;
  avatar_url?: string;
  emails: GitHubEmail[];
}

/** What the authorize step remembered for the code it issued. */
interface IssuedCode {
  clientId: string;
  redirectUri: string;
  scope: string;
  codeChallenge?: string;
  user: GitHubUser;
}

/**
 * GitHub's OAuth endpoints and the two API calls a sign-in needs, on 127.0.0.1 with a random port.
 * The user is already signed in to GitHub and answers the authorize page at once. Replies mirror
 * GitHub's: token errors come back as 200 with an `error` field, in JSON only when asked for.
 */
export class GitHubStandIn {
  readonly url: string;
  private user: GitHubUser = { id: 1, login: 'octocat', emails: [{ email: 'octocat@example.test', primary: true, verified: true }] };
  private readonly codes = new Map<string, IssuedCode>();
  private readonly tokens = new Map<string, { scope: string; user: GitHubUser }>();
  private denyNext = false;

  private constructor(
    private readonly server: Server,
    /** When set, the token endpoint checks the client's credentials. */
    private readonly client?: { clientId: string; clientSecret: string },
  ) {
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      this.route(request, response).catch((error: Error) => reply(response, 500, { message: error.message }));
    });
  }

  static async start(client?: { clientId: string; clientSecret: string }): Promise<GitHubStandIn> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new GitHubStandIn(server, client);
  }

  /** The GitHub user who signs in from now on. */
  setUser(user: GitHubUser): void {
    this.user = user;
  }

  /** A browser at `authorizeUrl`: returns where GitHub sends it back (with `code` and `state`, or `error`). */
  async signIn(authorizeUrl: string, options: { deny?: boolean } = {}): Promise<string> {
    this.denyNext = options.deny ?? false;
    const response = await fetch(authorizeUrl, { redirect: 'manual' });
    const location = response.headers.get('location');
    if (!location) throw new Error(`${authorizeUrl} answered ${response.status}: ${await response.text()}`);
    return location;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    // The REST API lives under /api/v3 here, as on GitHub Enterprise Server (github.com has it on api.github.com).
    const path = url.pathname.replace(/^\/api\/v3(?=\/)/, '');
    const endpoint = `${request.method} ${path}`;
    if (endpoint === 'GET /login/oauth/authorize') return this.authorize(url.searchParams, response);
    if (endpoint === 'POST /login/oauth/access_token') return this.exchange(request, response);
    if (endpoint === 'GET /user' || endpoint === 'GET /user/emails') return this.api(path, request, response);
    reply(response, 404, { message: 'Not Found' });
  }

  private authorize(params: URLSearchParams, response: ServerResponse): void {
    const clientId = params.get('client_id');
    const redirectUri = params.get('redirect_uri');
    if (!clientId || !redirectUri) return reply(response, 400, { message: 'client_id and redirect_uri are required' });
    const back = new URL(redirectUri);
    if (this.denyNext) {
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'The user has denied your application access.');
    } else {
      const code = randomBytes(10).toString('hex');
      const codeChallenge = params.get('code_challenge') ?? undefined;
      this.codes.set(code, { clientId, redirectUri, scope: params.get('scope') ?? '', codeChallenge, user: this.user });
      back.searchParams.set('code', code);
    }
    const state = params.get('state');
    if (state !== null) back.searchParams.set('state', state);
    response.writeHead(302, { location: back.href }).end();
  }

  private async exchange(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readForm(request);
    const asJson = request.headers.accept?.includes('application/json') ?? false;
    const answer = (fields: Record<string, string>) =>
      asJson
        ? reply(response, 200, fields)
        : reply(response, 200, new URLSearchParams(fields).toString(), 'application/x-www-form-urlencoded');
    if (this.client && (body.client_id !== this.client.clientId || body.client_secret !== this.client.clientSecret)) {
      return answer({
        error: 'incorrect_client_credentials',
        error_description: 'The client_id and/or client_secret passed are incorrect.',
      });
    }
    const issued = this.codes.get(body.code ?? '');
    // A code is single-use: a failed attempt burns it too.
    this.codes.delete(body.code ?? '');
    const verifier = body.code_verifier;
    const challengeMet = !issued?.codeChallenge || (verifier !== undefined && sha256(verifier) === issued.codeChallenge);
    if (!issued || issued.clientId !== body.client_id || !challengeMet) {
      return answer({ error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' });
    }
    if (body.redirect_uri !== undefined && body.redirect_uri !== issued.redirectUri) {
      return answer({ error: 'redirect_uri_mismatch', error_description: 'The redirect_uri MUST match the registered callback URL.' });
    }
    const accessToken = `gho_${randomBytes(18).toString('hex')}`;
    this.tokens.set(accessToken, { scope: issued.scope, user: issued.user });
    answer({ access_token: accessToken, token_type: 'bearer', scope: issued.scope });
  }

  private api(path: string, request: IncomingMessage, response: ServerResponse): void {
    const token = /^(?:bearer|token) (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const grant = token === undefined ? undefined : this.tokens.get(token);
    if (!grant) return reply(response, 401, { message: 'Bad credentials' });
    const { user } = grant;
    if (path === '/user') {
      // Most users keep their email private, so the profile's email is null and /user/emails is the source.
      return reply(response, 200, {
        id: user.id,
        login: user.login,
        name: user.name ?? null,
        avatar_url: user.avatar_url ?? '',
        email: null,
      });
    }
    // GitHub hides the emails from a token that was not granted the user:email (or user) scope.
    const scopes = grant.scope.split(/[ ,]+/);
    if (!scopes.includes('user:email') && !scopes.includes('user')) return reply(response, 404, { message: 'Not Found' });
    reply(response, 200, user.emails);
  }
}

function reply(response: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, { 'content-type': contentType }).end(text);
}

/**
 * The token request's fields, sent as a form (the usual) or as JSON; the client's credentials may
 * come in an HTTP Basic header instead. GitHub accepts all of these.
 */
async function readForm(request: IncomingMessage): Promise<Record<string, string | undefined>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const json = request.headers['content-type']?.includes('application/json');
  const fields: Record<string, string | undefined> = json ? JSON.parse(text) : Object.fromEntries(new URLSearchParams(text));
  const basic = /^basic (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
  if (basic) {
    const [clientId, clientSecret] = Buffer.from(basic, 'base64').toString('utf8').split(':').map(decodeURIComponent);
    return { client_id: clientId, client_secret: clientSecret, ...fields };
  }
  return fields;
}

function sha256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}
