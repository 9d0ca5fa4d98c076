import { type ExecutionContext, Injectable } from '@nestjs/common';
import { TooManyRequests } from '@backlot/http';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { ThrottlerLimitDetail } from '@nestjs/throttler/dist/throttler.guard.interface';

// @nestjs/throttler's metadata key for @SkipThrottle(), suffixed with the throttler name.
const SKIP_KEY = 'THROTTLER:SKIP';

/** Throttler's guard, answering with a 429 problem (Retry-After in header and body). */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  /** Whether a handler opted out of every limit; metadata never changes, so look it up once. */
  private readonly skipped = new WeakMap<object, boolean>();

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    const handler = context.getHandler();
    let skip = this.skipped.get(handler);
    if (skip === undefined) {
      const targets = [handler, context.getClass()];
      skip = this.throttlers.every((throttler) => this.reflector.getAllAndOverride<boolean>(SKIP_KEY + throttler.name, targets) === true);
      this.skipped.set(handler, skip);
    }
    return skip;
  }

  /**
   * The default key (a budget per route and client) as @nestjs/throttler makes it, without its
   * SHA-256 of the parts: 2% of a record read's CPU, for keys that are short and not secret.
   */
  protected override generateKey(context: ExecutionContext, tracker: string, name: string): string {
    return `${name}:${context.getClass().name}.${context.getHandler().name}:${tracker}`;
  }

  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw new TooManyRequests(Math.max(1, Math.ceil(detail.timeToBlockExpire)));
  }
}
