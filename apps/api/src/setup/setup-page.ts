import type { FastifyInstance } from 'fastify';
import { SETUP_PAGE_PATH } from './setup.service';

/**
 * The setup URL's page on a server without a console build (the console's own first-run form
 * answers there otherwise): a form that posts to POST /api/v1/setup/admin. The token travels in
 * the URL's fragment, which browsers never send, so it reaches no access log; the script, a
 * file of its own, reads it and removes it from the address bar. No inline code or style: the
 * policy allows this origin's script and its API, nothing else.
 */
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Backlot: create the first admin</title>
<script src="${SETUP_PAGE_PATH}.js" defer></script>
</head>
<body>
<main>
<h1>Create the first admin</h1>
<p id="status">Open the setup URL the server logged at start: it ends with #token=…</p>
<form id="setup" hidden>
<p><label>Email <input name="email" type="email" autocomplete="username" maxlength="254" required></label></p>
<p><label>Password <input name="password" type="password" autocomplete="new-password" minlength="10" maxlength="128" required></label></p>
<p><button type="submit">Create the admin</button></p>
</form>
</main>
</body>
</html>
`;

const SCRIPT = `'use strict';
(() => {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  history.replaceState(null, '', location.pathname);
  const form = document.getElementById('setup');
  const status = document.getElementById('status');
  const say = (text) => { status.textContent = text; };
  fetch('/api/v1/setup').then((response) => response.json()).then(({ open }) => {
    if (!open) say('Setup is done: an admin account exists. Sign in with POST /api/v1/auth/login.');
    else if (token) { say('Choose the email address and password (10 to 128 characters) of the first admin.'); form.hidden = false; }
  }, () => say('The server does not answer.'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = JSON.stringify({ token, email: form.elements.email.value, password: form.elements.password.value });
    const response = await fetch('/api/v1/setup/admin', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const answer = await response.json();
    if (response.ok) { form.hidden = true; say('Created the admin ' + answer.email + '. Sign in with POST /api/v1/auth/login; this link no longer works.'); }
    else say(answer.errors ? answer.errors.map((error) => error.message).join('; ') : answer.detail);
  });
})();
`;

const HEADERS = {
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
};

/** Served by Fastify itself, outside the API's prefix and its JSON-only handling. */
export function registerSetupPage(fastify: FastifyInstance): void {
  fastify.get(SETUP_PAGE_PATH, (_request, reply) => reply.headers(HEADERS).type('text/html; charset=utf-8').send(PAGE));
  fastify.get(`${SETUP_PAGE_PATH}.js`, (_request, reply) => reply.headers(HEADERS).type('text/javascript; charset=utf-8').send(SCRIPT));
}
