import { createHmac } from 'node:crypto';
import { newWebhookSecret, signWebhook } from './webhook-signature';

describe('webhook signatures', () => {
  const secret = 'whsec_test-secret';
  const body = '{"id":"1","type":"ping"}';
  const now = 1_800_000_000;

  it('is HMAC-SHA256 over "<t>.<body>" keyed with the secret string, as docs/webhooks.md documents', () => {
    const expected = createHmac('sha256', secret).update(`${now}.${body}`).digest('hex');
    expect(signWebhook(secret, body, now)).toBe(`t=${now},v1=${expected}`);
  });

  it('makes 32-byte secrets with the whsec_ prefix, never the same twice', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});
