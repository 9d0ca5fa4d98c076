import { Inject, Injectable, Optional } from '@nestjs/common';
import * as argon2 from 'argon2';
import { randomToken } from './secrets';

export type Argon2Params = Required<Pick<argon2.HashOptions, 'type' | 'memoryCost' | 'timeCost' | 'parallelism'>>;

/** OWASP Password Storage Cheat Sheet: argon2id, 19 MiB of memory, 2 iterations, 1 lane. */
export const OWASP_ARGON2ID: Readonly<Argon2Params> = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 };

/** Provide other parameters (e.g. cheaper ones in tests); without a provider, OWASP_ARGON2ID applies. */
export const ARGON2_PARAMS = Symbol('ARGON2_PARAMS');

export interface PasswordCheck {
  valid: boolean;
  /** The hash was made with older parameters: store a fresh hash of the password just verified. */
  needsRehash: boolean;
}

// argon2.needsRehash compares cost parameters only, so a change of variant is checked on the prefix.
const PREFIXES: Record<Argon2Params['type'], string> = {
  [argon2.argon2d]: '$argon2d$',
  [argon2.argon2i]: '$argon2i$',
  [argon2.argon2id]: '$argon2id$',
};

const INVALID: PasswordCheck = { valid: false, needsRehash: false };

@Injectable()
export class PasswordHasher {
  private readonly params: Readonly<Argon2Params>;
  private dummyHash?: Promise<string>;

  constructor(@Optional() @Inject(ARGON2_PARAMS) params?: Readonly<Argon2Params>) {
    this.params = params ?? OWASP_ARGON2ID;
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, this.params);
  }

  /**
   * Checks a password against a stored hash. Pass the stored hash as-is, even when there is none
   * (unknown account, or one without a password): the work is done anyway against a dummy hash
   * with the same parameters, so the response time does not reveal which accounts exist.
   */
  async verify(hash: string | null | undefined, password: string): Promise<PasswordCheck> {
    if (!hash) {
      await this.matches(await this.dummy(), password);
      return INVALID;
    }
    if (!(await this.matches(hash, password))) return INVALID;
    return { valid: true, needsRehash: !hash.startsWith(PREFIXES[this.params.type]) || argon2.needsRehash(hash, this.params) };
  }

  private async matches(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      // A corrupt stored hash is a failed login, not a 500 that would single the account out.
      return false;
    }
  }

  // Made on first use rather than at start-up, which would add a hash's latency to every boot.
  private dummy(): Promise<string> {
    this.dummyHash ??= argon2.hash(randomToken(), this.params);
    return this.dummyHash;
  }
}
