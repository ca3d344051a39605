import type { FastifyReply } from 'fastify';
import type { SessionRecord } from '../ports.js';

export const ACCESS_COOKIE = '__Host-lk_at';
export const REFRESH_COOKIE = '__Secure-lk_rt';
export const CSRF_COOKIE = '__Host-lk_csrf';

/**
 * The three cookies of API.md "Transports". Standard sessions get browser-session
 * cookies (no Max-Age); extended ones persist until the session's absolute end.
 */
export function setSessionCookies(
  reply: FastifyReply,
  input: {
    session: Pick<SessionRecord, 'type' | 'expiresAt'>;
    accessToken: string;
    accessExpiresAt: number;
    refreshToken: string;
    csrfToken: string;
    now: number;
  },
): void {
  const persistent = input.session.type === 'extended';
  const untilEnd = Math.max(0, Math.floor((input.session.expiresAt - input.now) / 1000));
  const untilAccessEnd = Math.max(0, Math.floor((input.accessExpiresAt - input.now) / 1000));
  reply.setCookie(ACCESS_COOKIE, input.accessToken, {
    path: '/',
    httpOnly: true,
    secure: true,
    sameSite: 'lax',
    ...(persistent ? { maxAge: untilAccessEnd } : {}),
  });
  reply.setCookie(REFRESH_COOKIE, input.refreshToken, {
    path: '/auth',
    httpOnly: true,
    secure: true,
    sameSite: 'strict',
    ...(persistent ? { maxAge: untilEnd } : {}),
  });
  reply.setCookie(CSRF_COOKIE, input.csrfToken, {
    path: '/',
    httpOnly: false,
    secure: true,
    sameSite: 'strict',
    ...(persistent ? { maxAge: untilEnd } : {}),
  });
}

export function clearSessionCookies(reply: FastifyReply): void {
  reply.clearCookie(ACCESS_COOKIE, { path: '/', httpOnly: true, secure: true, sameSite: 'lax' });
  reply.clearCookie(REFRESH_COOKIE, { path: '/auth', httpOnly: true, secure: true, sameSite: 'strict' });
  reply.clearCookie(CSRF_COOKIE, { path: '/', secure: true, sameSite: 'strict' });
}
