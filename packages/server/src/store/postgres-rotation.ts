import { sql, type Kysely } from 'kysely';
import type { SessionStore } from '../ports.js';
import type { Database } from './schema.js';

type Change = Parameters<SessionStore['claimRefreshToken']>[0];

/**
 * Rotation on PostgreSQL in one statement: the conditional UPDATE and the successor's
 * INSERT run as a data-modifying CTE, so the session row stays locked for one statement
 * instead of four round trips (BEGIN, UPDATE, INSERT, COMMIT). Under a burst of
 * concurrent presentations of one token (parallel tabs, a client retrying on several
 * nodes) the waits queue on the row for far less time and hold pooled connections for
 * far less. Same rule as the transaction: no row updated, nothing inserted.
 */
export async function claimOnPostgres(db: Kysely<Database>, { sessionId, token, successor, now, idleExpiresAt }: Change): Promise<boolean> {
  const result = await sql`with won as (
      update sessions
      set refresh_generation = ${token.generation}, refresh_parent_id = ${token.id}, last_used_at = ${now}, idle_expires_at = ${idleExpiresAt}
      where id = ${sessionId} and refresh_generation = ${token.generation - 1} and ended_at is null
      returning id)
    insert into refresh_tokens (id, session_id, hash, generation, created_at, expires_at)
    select ${successor.id}::text, id, ${successor.hash}::text, ${successor.generation}::integer, ${successor.createdAt}::bigint, ${successor.expiresAt}::bigint
    from won`.execute(db);
  return Number(result.numAffectedRows ?? 0n) === 1;
}

/** The retry / parallel-tab reissue (see SessionStore.reissueRefreshToken) in one statement. */
export async function reissueOnPostgres(
  db: Kysely<Database>,
  { sessionId, token, successor, now, idleExpiresAt }: Change,
): Promise<boolean> {
  const result = await sql`with won as (
      update sessions
      set last_used_at = ${now}, idle_expires_at = ${idleExpiresAt}
      where id = ${sessionId} and refresh_generation = ${token.generation} and refresh_parent_id = ${token.id} and ended_at is null
      returning id)
    insert into refresh_tokens (id, session_id, hash, generation, created_at, expires_at)
    select ${successor.id}::text, id, ${successor.hash}::text, ${successor.generation}::integer, ${successor.createdAt}::bigint, ${successor.expiresAt}::bigint
    from won`.execute(db);
  return Number(result.numAffectedRows ?? 0n) === 1;
}
