import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiSecurity } from '@nestjs/swagger';
import { ACCESS_RULE, ApiProblems, Public } from '@backlot/http';
import type { ApiKeyScopeName } from './api-key-scopes';
import type { Role } from './principal';

/** What a route demands of its caller; routes without one are closed to everyone. */
export type AccessRule =
  { public: true } | { public: false; optional?: boolean; roles: readonly Role[]; apiKeyScopes: readonly ApiKeyScopeName[] };

export { ACCESS_RULE, Public };
export const BEARER_SCHEME = 'bearer';
export const API_KEY_SCHEME = 'apiKey';
/**
 * The roles and API key scopes an operation demands, in the document. OpenAPI 3.0 allows
 * scopes in a security requirement only for OAuth2 and OpenID Connect schemes (generators
 * and linters refuse them on an apiKey scheme), so both are extensions:
 * `x-required-roles: ["admin"]`, `x-required-scopes: ["records:read"]`.
 */
export const REQUIRED_ROLES_EXTENSION = 'x-required-roles';
export const REQUIRED_SCOPES_EXTENSION = 'x-required-scopes';

/** The document's side of "API keys holding `scope` may call": the apiKey requirement (no scopes in it) and the extension. */
function acceptsApiKeys(scope: ApiKeyScopeName): MethodDecorator & ClassDecorator {
  return applyDecorators(ApiSecurity(API_KEY_SCHEME), ApiExtension(REQUIRED_SCOPES_EXTENSION, [scope]));
}

/** Any signed-in user (access token); API keys are refused unless `apiKeyScope` names the scope they need. */
export function Authenticated(options: { role?: Role; apiKeyScope?: ApiKeyScopeName } = {}): MethodDecorator & ClassDecorator {
  const rule: AccessRule = {
    public: false,
    roles: options.role ? [options.role] : [],
    apiKeyScopes: options.apiKeyScope ? [options.apiKeyScope] : [],
  };
  const documents = [ApiBearerAuth(BEARER_SCHEME)];
  if (options.role) documents.push(ApiExtension(REQUIRED_ROLES_EXTENSION, [options.role]));
  if (options.apiKeyScope) documents.push(acceptsApiKeys(options.apiKeyScope));
  return applyDecorators(
    SetMetadata(ACCESS_RULE, rule),
    ...documents,
    ApiProblems(...(rule.roles.length || rule.apiKeyScopes.length ? [401, 403] : [401])),
  );
}

/** Signed-in users holding one of the roles. */
export function Roles(...roles: [Role, ...Role[]]): MethodDecorator & ClassDecorator {
  const rule: AccessRule = { public: false, roles, apiKeyScopes: [] };
  return applyDecorators(
    SetMetadata(ACCESS_RULE, rule),
    ApiBearerAuth(BEARER_SCHEME),
    ApiExtension(REQUIRED_ROLES_EXTENSION, roles),
    ApiProblems(401, 403),
  );
}

/** Signed-in users, or API keys granted this scope (server-to-server callers). */
export function ApiKeyScope(scope: ApiKeyScopeName): MethodDecorator & ClassDecorator {
  return Authenticated({ apiKeyScope: scope });
}

/**
 * Anyone may call, and credentials are used when sent: the route decides per request
 * (collection rules may open records to everyone or to signed-in users only). Bad or
 * revoked credentials are still refused with 401 rather than silently ignored.
 */
export function OptionalAuthentication(options: { apiKeyScope: ApiKeyScopeName }): MethodDecorator & ClassDecorator {
  const rule: AccessRule = { public: false, optional: true, roles: [], apiKeyScopes: [options.apiKeyScope] };
  return applyDecorators(
    SetMetadata(ACCESS_RULE, rule),
    ApiBearerAuth(BEARER_SCHEME),
    acceptsApiKeys(options.apiKeyScope),
    // An empty requirement: calling without credentials is allowed too.
    ApiSecurity({} as never),
    ApiProblems(401, 403),
  );
}
