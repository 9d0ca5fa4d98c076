import { createHmac, randomBytes } from 'node:crypto';

export const SIGNATURE_HEADER = 'Backlot-Signature';

/** A new signing secret: `whsec_` and 32 random bytes, base64url. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256>` over `<t>.<raw body>`, keyed with the secret string
 * as shown to the admin (prefix included). The timestamp is signed too, so a receiver that
 * rejects old timestamps rejects replays.
 */
export function signWebhook(secret: string, body: string, timestamp: number): string {
  const digest = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${digest}`;
}
