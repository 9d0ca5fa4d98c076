import { randomToken, safeEqual, sha256 } from './secrets';

describe('randomToken', () => {
  it('encodes 32 random bytes as base64url by default', () => {
    const token = randomToken();

    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  it('encodes the requested number of bytes', () => {
    expect(Buffer.from(randomToken(16), 'base64url')).toHaveLength(16);
  });

  it('never repeats itself', () => {
    const tokens = new Set(Array.from({ length: 100 }, () => randomToken()));

    expect(tokens.size).toBe(100);
  });
});

describe('sha256', () => {
  it('returns the hex digest of the UTF-8 text', () => {
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('safeEqual', () => {
  it('accepts equal strings', () => {
    expect(safeEqual('s3cret-token', 's3cret-token')).toBe(true);
    expect(safeEqual('', '')).toBe(true);
  });

  it('rejects strings that differ in content or length without throwing', () => {
    expect(safeEqual('s3cret-token', 's3cret-tokem')).toBe(false);
    expect(safeEqual('s3cret-token', 's3cret-token-longer')).toBe(false);
    expect(safeEqual('s3cret-token', '')).toBe(false);
  });
});
