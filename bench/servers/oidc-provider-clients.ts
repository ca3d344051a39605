/** What the oidc-provider peer is configured with, shared with the drivers. */
export const RESOURCE = 'https://api.bench.example/';
export const SCOPE = 'api:read';
export const REFRESH_CLIENT = { id: 'bench-refresh', secret: 'bench-refresh-secret-0123456789abcdef' };
export const CC_CLIENT = { id: 'bench-cc', secret: 'bench-cc-secret-0123456789abcdef' };
export const SEED_PATH = '/__bench/seed';
