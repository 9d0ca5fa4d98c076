'use strict';
/** Credentials the benchmark gives the app (bootstrap admin) and the baseline (its JWT secret). */
const { createSecretKey } = require('node:crypto');
const jwt = require('jsonwebtoken');

const BENCH_USER = { email: 'bench@example.com', password: 'bench password that is long enough' };
// The baseline verifies like the app: HS256 with a KeyObject made once (DESIGN.md trap 14).
const BASELINE_JWT_KEY = createSecretKey(Buffer.from('baseline-jwt-secret-for-benchmarks-only-0123456789')); // gitleaks:allow

async function login(baseUrl, credentials = BENCH_USER) {
  const response = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(credentials),
  });
  if (response.status !== 200) throw new Error(`bench login failed: ${response.status} ${await response.text()}`);
  return response.json();
}

/**
 * Sign-up runs as a background job after the 202, so a freshly registered account appears a
 * moment later: polls the admin user search until it does.
 */
async function waitForAccount(baseUrl, adminToken, email, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const response = await fetch(`${baseUrl}/api/v1/admin/users?${new URLSearchParams({ q: email })}`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    if (response.status !== 200) throw new Error(`admin user search failed: ${response.status} ${await response.text()}`);
    const page = await response.json();
    if (page.items.some((user) => user.email === email)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${email} was not created within ${timeoutMs / 1000} s of registering`);
}

/** The user id inside an access token (its `sub`), without verifying it. */
function subjectOf(accessToken) {
  return JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString('utf8')).sub;
}

/** The baseline's token for the same user as a Backlot access token. */
function baselineTokenFor(accessToken) {
  return jwt.sign({}, BASELINE_JWT_KEY, { algorithm: 'HS256', subject: subjectOf(accessToken), expiresIn: '1h' });
}

module.exports = { BENCH_USER, BASELINE_JWT_KEY, login, waitForAccount, subjectOf, baselineTokenFor };
