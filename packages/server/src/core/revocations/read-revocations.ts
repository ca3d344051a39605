import type { RevocationRecord } from '../../ports.js';
import type { CoreDeps } from '../deps.js';
import { Forbidden, InvalidRequest } from '../errors.js';

/** Events per page of `GET /revocations`; the stream sends pages of the same size. */
export const REVOCATION_PAGE_LIMIT = 500;

/** The scope a client needs to read the feed (API.md "Revocation feed"). */
export const REVOCATIONS_READ_SCOPE = 'revocations:read';

/** What a caller's access token says about it; the feed is for resource servers. */
export interface FeedReader {
  scope?: string;
  roles?: string[];
}

/**
 * Who may read the revocation feed. API.md: a client authenticated with a
 * client_credentials token carrying `revocations:read`; until OAuth clients exist, any
 * access token granted that scope, or an admin's. The one place to widen or narrow.
 */
export function mayReadRevocations(reader: FeedReader): boolean {
  const scopes = typeof reader.scope === 'string' ? reader.scope.split(' ') : [];
  return scopes.includes(REVOCATIONS_READ_SCOPE) || (Array.isArray(reader.roles) && reader.roles.includes('admin'));
}

export function assertMayReadRevocations(reader: FeedReader): void {
  if (!mayReadRevocations(reader)) throw new Forbidden(`Reading revocations needs the scope ${REVOCATIONS_READ_SCOPE}.`);
}

/** A feed cursor as sent by a follower: the decimal `cursor` of an event. */
export function parseRevocationCursor(value: string | undefined): number | null {
  if (value === undefined || value === '') return null;
  if (!/^\d{1,15}$/.test(value)) throw new InvalidRequest('The cursor is not one this feed handed out.');
  return Number(value);
}

export interface RevocationPage {
  events: RevocationRecord[];
  /** The cursor to resume after: the last event's, or the one given (0: the start) when nothing is new. */
  next: number;
}

/** Events after `after`, oldest first, one page at a time. */
export async function readRevocations(deps: Pick<CoreDeps, 'revocations'>, after: number | null): Promise<RevocationPage> {
  const events = await deps.revocations.listAfter(after, REVOCATION_PAGE_LIMIT);
  return { events, next: events.length > 0 ? events[events.length - 1]!.cursor : (after ?? 0) };
}
