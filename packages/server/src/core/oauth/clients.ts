import type { ClientRecord, GrantType, RequestContext } from '../../ports.js';
import { auditEvent } from '../audit/audit-event.js';
import { FIRST_PARTY_CLIENT_ID } from '../config.js';
import type { CoreDeps } from '../deps.js';
import { InvalidClient, InvalidRequest } from '../errors.js';
import { constantTimeEqual, generateOpaqueToken, hashToken } from '../tokens/opaque-token.js';
import { hasControlCharacter, redirectUriProblem } from './redirect-uri.js';
import { isScopeToken, OIDC_SCOPES, REVOCATIONS_SCOPE } from './scope.js';

export const CLIENT_SECRET_PREFIX = 'lkcs_';
export const GRANT_TYPES: readonly GrantType[] = ['authorization_code', 'refresh_token', 'client_credentials'];
const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;
const MAX_REDIRECT_URIS = 32;

export interface NewClient {
  id: string;
  name?: string;
  /** A confidential client without one gets a generated secret. */
  secret?: string;
  redirectUris?: string[];
  grantTypes?: string[];
  scopes?: string[];
  public?: boolean;
  firstParty?: boolean;
}

export type RegisterClientDeps = Pick<CoreDeps, 'clients' | 'clock' | 'audit'>;

/**
 * Registers a client. The secret is returned this once and stored only as its SHA-256:
 * it is high-entropy (generated: 256 bits), so a slow hash would add nothing.
 */
export async function registerClient(
  deps: RegisterClientDeps,
  input: NewClient,
  ctx: RequestContext | null,
): Promise<{ client: ClientRecord; secret: string | null }> {
  if (!CLIENT_ID.test(input.id)) throw new InvalidRequest('The client id must be 1 to 128 characters of A-Z a-z 0-9 . _ ~ -.');
  if (input.id === FIRST_PARTY_CLIENT_ID) throw new InvalidRequest(`The client id "${FIRST_PARTY_CLIENT_ID}" is reserved.`);
  const isPublic = input.public ?? false;
  const grantTypes = [...new Set(input.grantTypes ?? ['authorization_code', 'refresh_token'])];
  for (const grant of grantTypes) {
    if (!GRANT_TYPES.includes(grant as GrantType))
      throw new InvalidRequest(`Unknown grant type "${grant}"; use ${GRANT_TYPES.join(', ')}.`);
  }
  if (grantTypes.length === 0) throw new InvalidRequest('A client needs at least one grant type.');
  // RFC 6749 §4.4: the client credentials grant is for confidential clients only.
  if (isPublic && grantTypes.includes('client_credentials')) throw new InvalidRequest('A public client cannot use client_credentials.');
  if (isPublic && input.secret !== undefined) throw new InvalidRequest('A public client has no secret.');

  const redirectUris = [...new Set(input.redirectUris ?? [])];
  if (redirectUris.length > MAX_REDIRECT_URIS) throw new InvalidRequest(`At most ${MAX_REDIRECT_URIS} redirect URIs.`);
  for (const uri of redirectUris) {
    const problem = redirectUriProblem(uri);
    if (problem) throw new InvalidRequest(`Redirect URI ${JSON.stringify(uri.slice(0, 200))} ${problem}.`);
  }
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0) {
    throw new InvalidRequest('The authorization_code grant needs at least one redirect URI.');
  }

  const scopes = [...new Set(input.scopes ?? defaultScopes(grantTypes as GrantType[]))];
  for (const scope of scopes) if (!isScopeToken(scope)) throw new InvalidRequest(`Invalid scope ${JSON.stringify(scope.slice(0, 100))}.`);

  let secret: string | null = null;
  if (!isPublic) {
    if (input.secret !== undefined && (input.secret.length < 1 || input.secret.length > 512 || hasControlCharacter(input.secret))) {
      throw new InvalidRequest('The client secret must be 1 to 512 printable characters.');
    }
    secret = input.secret ?? generateOpaqueToken(CLIENT_SECRET_PREFIX);
  }
  const name = (input.name ?? input.id).trim().slice(0, 100) || input.id;
  const client: ClientRecord = {
    id: input.id,
    name,
    secretHash: secret === null ? null : hashToken(secret),
    redirectUris,
    grantTypes: grantTypes as GrantType[],
    scopes,
    public: isPublic,
    firstParty: input.firstParty ?? false,
    createdAt: deps.clock.now(),
  };
  if ((await deps.clients.create(client)) === 'id_taken') throw new InvalidRequest(`A client with id "${input.id}" already exists.`);
  await deps.audit.record(
    auditEvent('client_created', ctx, client.createdAt, {
      data: { clientId: client.id, public: client.public, firstParty: client.firstParty, grantTypes: client.grantTypes },
    }),
  );
  return { client, secret };
}

/** Apps that sign people in get the OIDC scopes; machine clients may read the revocation feed. */
function defaultScopes(grantTypes: GrantType[]): string[] {
  return [
    ...(grantTypes.includes('authorization_code') ? OIDC_SCOPES : []),
    ...(grantTypes.includes('client_credentials') ? [REVOCATIONS_SCOPE] : []),
  ];
}

/** How the client authenticated at an endpoint (RFC 6749 §2.3.1; OIDC Core §9 names). */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

export interface ClientCredentials {
  method: ClientAuthMethod;
  clientId: string;
  secret: string | null;
}

// Compared against when the client is unknown, so both paths do the same work.
const UNKNOWN_CLIENT_HASH = hashToken(generateOpaqueToken(CLIENT_SECRET_PREFIX));

/**
 * RFC 6749 §2.3: a confidential client proves its secret (constant-time, on hashes); a
 * public client only names itself (`none`) and must not present a secret it cannot keep.
 */
export async function authenticateClient(deps: Pick<CoreDeps, 'clients'>, credentials: ClientCredentials): Promise<ClientRecord> {
  const client = CLIENT_ID.test(credentials.clientId) ? await deps.clients.findById(credentials.clientId) : null;
  if (!client) {
    if (credentials.secret !== null) constantTimeEqual(hashToken(credentials.secret), UNKNOWN_CLIENT_HASH);
    throw new InvalidClient('unknown client');
  }
  if (client.public) {
    if (credentials.method !== 'none') throw new InvalidClient('public client presented a secret');
    return client;
  }
  if (credentials.method === 'none' || credentials.secret === null) throw new InvalidClient('confidential client without a secret');
  if (!client.secretHash || !constantTimeEqual(hashToken(credentials.secret), client.secretHash)) throw new InvalidClient('wrong secret');
  return client;
}
