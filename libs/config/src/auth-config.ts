import type { AuthConfig, AuthSecrets, HttpConfig, NodeEnv } from './config.types';
import type { EnvReader } from './env-reader';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Token lifetimes, cookie and lockout policy, and the optional first admin. */
export function readAuthConfig(read: EnvReader, secrets: AuthSecrets, http: HttpConfig, env: NodeEnv): AuthConfig {
  const appUrl = read.url('APP_URL', ['http:', 'https:']);
  return {
    ...secrets,
    issuer: read.string('JWT_ISSUER', 'backlot'),
    audience: read.string('JWT_AUDIENCE', 'backlot-api'),
    accessTokenTtlSeconds: read.int('ACCESS_TOKEN_TTL_SECONDS', 900, { min: 30, max: 86_400 }),
    refreshTokenTtlDays: read.int('REFRESH_TOKEN_TTL_DAYS', 30, { min: 1, max: 365 }),
    refreshReuseGraceSeconds: read.int('REFRESH_REUSE_GRACE_SECONDS', 10, { min: 0, max: 60 }),
    sessionCacheTtlSeconds: read.int('SESSION_CACHE_TTL_SECONDS', 5, { min: 1, max: 30 }),
    cookie: {
      sameSite: read.oneOf('AUTH_COOKIE_SAMESITE', ['strict', 'lax'] as const, 'strict'),
      secure: read.bool('AUTH_COOKIE_SECURE', true),
    },
    requireEmailVerification: read.bool('AUTH_REQUIRE_EMAIL_VERIFICATION', true),
    lockout: {
      maxFailures: read.int('LOGIN_MAX_FAILURES', 5, { min: 1, max: 1_000 }),
      lockSeconds: read.int('LOGIN_LOCKOUT_SECONDS', 900, { min: 1, max: 86_400 }),
    },
    rateLimit: {
      max: read.int('AUTH_RATE_LIMIT_MAX', 20, { min: 1, max: 1_000_000 }),
      ttlSeconds: read.int('AUTH_RATE_LIMIT_TTL_SECONDS', 60, { min: 1, max: 86_400 }),
    },
    mfaChallengeTtlSeconds: read.int('MFA_CHALLENGE_TTL_SECONDS', 300, { min: 30, max: 3_600 }),
    emailVerificationTtlHours: read.int('EMAIL_VERIFICATION_TTL_HOURS', 24, { min: 1, max: 720 }),
    passwordResetTtlMinutes: read.int('PASSWORD_RESET_TTL_MINUTES', 30, { min: 5, max: 1_440 }),
    emailCodes: { enabled: read.bool('AUTH_EMAIL_CODES', true), ttlMinutes: read.int('EMAIL_CODE_TTL_MINUTES', 10, { min: 1, max: 60 }) },
    appUrl: (appUrl ?? `http://localhost:${http.port}`).replace(/\/+$/, ''),
    linkPages: appUrl === undefined && env !== 'production',
    bootstrapAdmin: readBootstrapAdmin(read),
  };
}

function readBootstrapAdmin(read: EnvReader): AuthConfig['bootstrapAdmin'] {
  const email = read.raw('ADMIN_EMAIL');
  const password = read.raw('ADMIN_PASSWORD');
  if (!email && !password) return undefined;
  if (!email || !password) {
    read.fail(email ? 'ADMIN_PASSWORD' : 'ADMIN_EMAIL', 'ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
    return undefined;
  }
  if (!EMAIL.test(email)) read.fail('ADMIN_EMAIL', 'is not an email address');
  if (password.length < 12) read.fail('ADMIN_PASSWORD', 'must be at least 12 characters');
  return { email: email.toLowerCase(), password };
}
