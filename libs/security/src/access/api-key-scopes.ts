/**
 * Scopes an API key can be granted. A key acts for its owner, limited to these scopes;
 * routes name the scope they need with `@ApiKeyScope()`.
 */
export const API_KEY_SCOPES = {
  'profile:read': 'Read the owner’s profile',
  'profile:write': 'Change the owner’s profile fields',
  'records:read': 'Read collection records, reports and exports the owner may read',
  'records:write': 'Create, change, delete and import records as the owner may',
} as const;

export type ApiKeyScopeName = keyof typeof API_KEY_SCOPES;

export function isApiKeyScope(value: string): value is ApiKeyScopeName {
  return Object.hasOwn(API_KEY_SCOPES, value);
}
