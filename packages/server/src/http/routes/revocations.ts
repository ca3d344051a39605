import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import { Type } from 'typebox';
import type { Latchkey } from '../../app.js';
import { Unauthorized } from '../../core/errors.js';
import {
  assertMayReadRevocations,
  parseRevocationCursor,
  readRevocations,
  REVOCATION_PAGE_LIMIT,
} from '../../core/revocations/read-revocations.js';
import { authenticateClientAccessToken } from '../../core/oauth/client-token.js';
import { authenticateAccessToken } from '../../core/sessions/authenticate.js';
import { isUserClaims } from '../../core/tokens/access-token.js';
import type { RevocationRecord } from '../../ports.js';
import { credentialFrom } from '../authenticate.js';
import { errors } from '../schemas.js';
import { iso } from '../views.js';

/** A comment line this often keeps proxies from timing the stream out and tells followers it is alive. */
export const HEARTBEAT_MS = 5_000;
/** Followers reconnect this soon after a stream ends (SSE `retry:`). */
const RETRY_MS = 1_000;

const RevocationEventBody = Type.Object({
  cursor: Type.String({ description: 'Opaque; pass as `after` (or Last-Event-ID) to resume after this event' }),
  type: Type.Union([Type.Literal('session'), Type.Literal('user'), Type.Literal('jti')]),
  id: Type.String({ description: 'Session id, user id or token id (jti), by type' }),
  at: Type.String({ format: 'date-time' }),
  until: Type.String({ format: 'date-time', description: 'When the rule can be forgotten' }),
});

function eventView(event: RevocationRecord) {
  return { cursor: String(event.cursor), type: event.type, id: event.id, at: iso(event.at), until: iso(event.until) };
}

/**
 * Who may read the feed: the caller's access token must be valid, its session alive, and
 * `mayReadRevocations` must allow it. Returns when its token expires (epoch ms), so a
 * stream ends then and the follower reconnects with a fresh token. Client-credentials
 * tokens (OAuth) are the usual callers.
 */
async function authenticateFeedReader(latchkey: Latchkey, request: FastifyRequest): Promise<{ expiresAt: number }> {
  const credential = credentialFrom(request);
  if (!credential) throw new Unauthorized();
  // A client-credentials token (OAuth, issue 5) is the contract's way in; a person's
  // token that was granted the scope (or an admin's) works too.
  const verified = await latchkey.deps.verifier.verifyAny(credential.token);
  if (verified.ok && !isUserClaims(verified.claims)) {
    const { claims } = await authenticateClientAccessToken(latchkey.deps, credential.token);
    assertMayReadRevocations(claims);
    return { expiresAt: claims.exp * 1000 };
  }
  const auth = await authenticateAccessToken(latchkey.deps, credential.token);
  assertMayReadRevocations(auth.claims);
  return { expiresAt: auth.claims.exp * 1000 };
}

/**
 * One open `GET /revocations/stream`: sends every event after `cursor`, then each new
 * one as soon as the feed signal says events were appended (within milliseconds on this
 * node), a heartbeat comment every HEARTBEAT_MS, and ends when the caller's token expires
 * or the server closes. Reads are coalesced: a signal during a read causes one more read.
 */
class FeedStream {
  private reading = false;
  private again = false;
  private closed = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private unsubscribe: () => void = () => {};

  constructor(
    private readonly latchkey: Latchkey,
    private readonly raw: ServerResponse,
    private cursor: number | null,
    private readonly expiresAt: number,
    private readonly onClose: () => void,
  ) {}

  start(): void {
    this.raw.on('close', () => this.close());
    this.unsubscribe = this.latchkey.deps.revocationSignal.subscribe(() => void this.pump());
    this.timers.push(setInterval(() => this.write(': heartbeat\n\n'), HEARTBEAT_MS));
    const remaining = Math.min(Math.max(0, this.expiresAt - this.latchkey.deps.clock.now()), 2 ** 31 - 1);
    this.timers.push(setTimeout(() => this.end(), remaining));
    this.write(`retry: ${RETRY_MS}\n\n`);
    void this.pump();
  }

  /** Ends the stream from our side (token expiry, server shutdown). */
  end(): void {
    if (!this.closed) this.raw.end();
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    for (const timer of this.timers) clearTimeout(timer);
    this.onClose();
  }

  private write(chunk: string): void {
    if (!this.closed && !this.raw.writableEnded) this.raw.write(chunk);
  }

  private async pump(): Promise<void> {
    if (this.closed) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.again = false;
        let page;
        do {
          page = await readRevocations(this.latchkey.deps, this.cursor);
          if (this.closed) return;
          let out = '';
          for (const event of page.events) out += `id: ${event.cursor}\nevent: revocation\ndata: ${JSON.stringify(eventView(event))}\n\n`;
          if (out) this.write(out);
          this.cursor = page.next;
        } while (page.events.length === REVOCATION_PAGE_LIMIT);
      } while (this.again && !this.closed);
    } catch (error) {
      // The database went away mid-stream: end it; the follower reconnects and resumes.
      this.latchkey.logger.warn({ err: error }, 'revocation stream read failed; closing the stream');
      this.end();
    } finally {
      this.reading = false;
    }
  }
}

/** API.md "Revocation feed" (for resource servers). */
export function revocationRoutes(latchkey: Latchkey): FastifyPluginAsyncTypebox {
  return async (app) => {
    const open = new Set<FeedStream>();
    // Who may read is settled before the query is validated: a caller without a valid
    // token gets 401 (403 without the scope), never a 400 about the cursor.
    const readers = new WeakMap<FastifyRequest, { expiresAt: number }>();
    const authenticate = async (request: FastifyRequest) => {
      readers.set(request, await authenticateFeedReader(latchkey, request));
    };
    // Streams never end by themselves: end them so the server can close.
    app.addHook('preClose', async () => {
      for (const stream of open) stream.end();
    });

    app.get(
      '/revocations',
      {
        schema: {
          tags: ['revocations'],
          summary: 'Revocation events after a cursor',
          description:
            'Oldest first, at most 500 per page; follow `next` until a page is empty. `session`: reject tokens whose sid = id; ' +
            '`user`: reject tokens of sub = id issued before `at`; `jti`: reject that token. Needs scope revocations:read.',
          security: [{ bearer: [] }],
          querystring: Type.Object({ after: Type.Optional(Type.String({ maxLength: 32 })) }),
          response: { 200: Type.Object({ events: Type.Array(RevocationEventBody), next: Type.String() }), ...errors(400, 401, 403) },
        },
        preValidation: authenticate,
      },
      async (request, reply) => {
        const page = await readRevocations(latchkey.deps, parseRevocationCursor(request.query.after));
        reply.header('cache-control', 'no-store');
        return { events: page.events.map(eventView), next: String(page.next) };
      },
    );

    app.get(
      '/revocations/stream',
      {
        schema: {
          tags: ['revocations'],
          summary: 'Revocation events as Server-Sent Events',
          description:
            'The events of GET /revocations as `event: revocation` with `id:` = cursor, resuming after `Last-Event-ID` ' +
            `(or ?after=); a \`: heartbeat\` comment every ${HEARTBEAT_MS / 1000} s; ends when the caller's token expires.`,
          security: [{ bearer: [] }],
          querystring: Type.Object({ after: Type.Optional(Type.String({ maxLength: 32 })) }),
          response: { ...errors(400, 401, 403) },
        },
        preValidation: authenticate,
      },
      async (request, reply) => {
        const { expiresAt } = readers.get(request)!;
        const lastEventId = request.headers['last-event-id'];
        // The HTML standard's reconnection sends Last-Event-ID; it wins over the query.
        const cursor = parseRevocationCursor(typeof lastEventId === 'string' ? lastEventId : request.query.after);
        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, {
          ...(reply.getHeaders() as Record<string, string>),
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          'x-accel-buffering': 'no',
          connection: 'keep-alive',
        });
        raw.flushHeaders();
        const stream = new FeedStream(latchkey, raw, cursor, expiresAt, () => open.delete(stream));
        open.add(stream);
        stream.start();
      },
    );
  };
}
