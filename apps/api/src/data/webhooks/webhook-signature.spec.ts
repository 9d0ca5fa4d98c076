import { createHmac } from 'node:crypto';
import { newWebhookSecret, signWebhook, verifyWebhook } from './webhook-signature';

describe('webhook signatures', () => {
  const secret = 'whsec_test-secret';
  const body = '{"id":"1","type":"ping"}';
  const now = 1_800_000_000;

  it('is HMAC-SHA256 over "<t>.<body>" keyed with the secret string, as the README documents', () => {
    const expected = createHmac('sha256', secret).update(`${now}.${body}`).digest('hex');
    expect(signWebhook(secret, body, now)).toBe(`t=${now},v1=${expected}`);
  });

  it('verifies its own signatures and rejects tampering, other secrets and stale timestamps', () => {
    const header = signWebhook(secret, body, now);
    expect(verifyWebhook(secret, body, header, now + 10)).toBe(true);
    expect(verifyWebhook(secret, `${body} `, header, now)).toBe(false);
    expect(verifyWebhook('whsec_other', body, header, now)).toBe(false);
    expect(verifyWebhook(secret, body, header, now + 301)).toBe(false);
    expect(verifyWebhook(secret, body, header.replace(`t=${now}`, `t=${now + 1}`), now)).toBe(false);
    expect(verifyWebhook(secret, body, undefined, now)).toBe(false);
    expect(verifyWebhook(secret, body, 'garbage', now)).toBe(false);
  });

  it('makes 32-byte secrets with the whsec_ prefix, never the same twice', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});
