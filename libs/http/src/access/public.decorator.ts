import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

/**
 * Metadata key of a route's access rule, read by the access guard (@backlot/security).
 * It lives here, below every other lib, so libs with their own routes (health, metrics)
 * can open them without depending on the security lib.
 */
export const ACCESS_RULE = 'backlot:access-rule';

/** Marks a public operation in the OpenAPI document, which then declares it needs no credentials (`security: []`). */
export const PUBLIC_OPERATION = 'x-backlot-public';

/** Anyone may call the route, signed in or not. */
export function Public(): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(ACCESS_RULE, { public: true }), ApiExtension(PUBLIC_OPERATION, true));
}
