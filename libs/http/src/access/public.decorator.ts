import { SetMetadata } from '@nestjs/common';

/**
 * Metadata key of a route's access rule, read by the access guard (@backlot/security).
 * It lives here, below every other lib, so libs with their own routes (health, metrics)
 * can open them without depending on the security lib.
 */
export const ACCESS_RULE = 'backlot:access-rule';

/** Anyone may call the route, signed in or not. */
export function Public(): MethodDecorator & ClassDecorator {
  return SetMetadata(ACCESS_RULE, { public: true });
}
