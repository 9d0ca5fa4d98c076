import * as argon2 from 'argon2';
import { type Argon2Params, OWASP_ARGON2ID, PasswordHasher } from './password-hasher';

// Wrapped so the tests can see which hash an unknown account is verified against.
jest.mock('argon2', () => {
  const actual = jest.requireActual<typeof import('argon2')>('argon2');
  return { ...actual, hash: jest.fn(actual.hash), verify: jest.fn(actual.verify) };
});

const WEAK: Argon2Params = { type: argon2.argon2id, memoryCost: 4096, timeCost: 1, parallelism: 1 };

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();

  beforeEach(() => jest.clearAllMocks());

  it('uses the OWASP argon2id parameters by default', async () => {
    const hash = await hasher.hash('correct horse battery staple');

    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(OWASP_ARGON2ID).toEqual({ type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
  });

  it('salts every hash', async () => {
    expect(await hasher.hash('same password')).not.toBe(await hasher.hash('same password'));
  });

  it('verifies the password a hash was made from', async () => {
    const hash = await hasher.hash('correct horse battery staple');

    await expect(hasher.verify(hash, 'correct horse battery staple')).resolves.toEqual({ valid: true, needsRehash: false });
  });

  it('rejects a wrong password', async () => {
    const hash = await hasher.hash('correct horse battery staple');

    await expect(hasher.verify(hash, 'correct horse battery stapler')).resolves.toEqual({ valid: false, needsRehash: false });
  });

  it.each([null, undefined, ''])('rejects any password when there is no hash (%p)', async (hash) => {
    await expect(hasher.verify(hash, 'anything')).resolves.toEqual({ valid: false, needsRehash: false });
  });

  it('still runs a verification with the same parameters when there is no hash, so timing does not reveal the account is unknown', async () => {
    await hasher.verify(null, 'first guess');
    await hasher.verify(undefined, 'second guess');

    const verify = jest.mocked(argon2.verify);
    expect(verify).toHaveBeenCalledTimes(2);
    expect(verify.mock.calls[0][0]).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(verify.mock.calls[1][0]).toBe(verify.mock.calls[0][0]);
  });

  it('creates the dummy hash once, however many unknown accounts are tried', async () => {
    const fresh = new PasswordHasher();

    await Promise.all([fresh.verify(null, 'a'), fresh.verify(null, 'b'), fresh.verify(null, 'c')]);

    expect(argon2.hash).toHaveBeenCalledTimes(1);
  });

  it.each(['not-a-hash', '$argon2id$v=19$m=1,t=1,p=1$abc$def', '$2b$10$abcdefghijklmnopqrstuuv3wbHKQ7NRjPcYR3NV/7sFw0PCgcAIG'])(
    'treats a malformed stored hash as a failed match instead of throwing (%s)',
    async (hash) => {
      await expect(hasher.verify(hash, 'anything')).resolves.toEqual({ valid: false, needsRehash: false });
    },
  );

  it('accepts a hash made with weaker parameters and asks for a rehash', async () => {
    const legacy = await new PasswordHasher(WEAK).hash('correct horse battery staple');

    await expect(hasher.verify(legacy, 'correct horse battery staple')).resolves.toEqual({ valid: true, needsRehash: true });
  });

  it('asks for a rehash when the argon2 variant changed', async () => {
    const argon2i = await new PasswordHasher({ ...OWASP_ARGON2ID, type: argon2.argon2i }).hash('correct horse battery staple');

    await expect(hasher.verify(argon2i, 'correct horse battery staple')).resolves.toEqual({ valid: true, needsRehash: true });
  });

  it('uses the parameters it is given', async () => {
    const weak = new PasswordHasher(WEAK);
    const hash = await weak.hash('pw');

    expect(hash).toMatch(/^\$argon2id\$v=19\$m=4096,p=1,t=1\$/);
    await expect(weak.verify(hash, 'pw')).resolves.toEqual({ valid: true, needsRehash: false });
  });
});
