import { randomInt } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Latchkey } from '../../app.js';
import { changePassword } from '../../core/accounts/password-change.js';
import { admitPasswordResetRequest, resetPassword, sendPasswordReset } from '../../core/accounts/password-reset.js';
import { disableTotp, enableTotp, setupTotp } from '../../core/mfa/enrolment.js';
import { completeMfaSignIn } from '../../core/mfa/mfa-sign-in.js';
import { isMfaEnabled } from '../../core/mfa/second-factor.js';
import { authenticator, requestContext } from '../authenticate.js';
import { errors } from '../schemas.js';
import { CookieBody, sessionDelivery, TokenBody } from './auth.js';

// Codes are short; anything longer is a mistake or an attack, refused before any work.
const Code = Type.String({ minLength: 1, maxLength: 64 });
const Password = Type.String({ maxLength: 4096 });

/** API.md: the second sign-in step, password change and reset, TOTP enrolment. */
export function accountSecurityRoutes(latchkey: Latchkey): FastifyPluginAsyncTypebox {
  const { deps, config } = latchkey;
  const requireAuth = authenticator(latchkey);
  const deliver = sessionDelivery(latchkey);

  return async (app) => {
    app.post(
      '/auth/login/mfa',
      {
        schema: {
          tags: ['session'],
          summary: 'Finish a sign-in with a TOTP or backup code',
          description: 'Takes the mfa_token of a 401 mfa_required answer from /auth/login; answers as /auth/login would have.',
          body: Type.Object({ mfa_token: Type.String({ maxLength: 256 }), code: Code }),
          response: { 200: Type.Union([TokenBody, CookieBody]), ...errors(400, 401, 403, 429) },
        },
      },
      async (request, reply) => {
        const { grant, transport } = await completeMfaSignIn(deps, {
          mfaToken: request.body.mfa_token,
          code: request.body.code,
          ctx: requestContext(request),
        });
        return deliver(reply, grant, transport === 'bearer' ? 'bearer' : 'cookie', true);
      },
    );

    app.get(
      '/auth/mfa',
      {
        preValidation: requireAuth,
        schema: {
          tags: ['mfa'],
          summary: 'Whether two-step verification (TOTP) is on for the signed-in person',
          response: { 200: Type.Object({ enabled: Type.Boolean() }), ...errors(401, 403) },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        return { enabled: await isMfaEnabled(deps, request.auth!.session.userId) };
      },
    );

    app.post(
      '/auth/mfa/totp/setup',
      {
        preValidation: requireAuth,
        schema: {
          tags: ['mfa'],
          summary: 'Start TOTP enrolment: a new secret to scan',
          response: { 200: Type.Object({ secret: Type.String(), otpauth_url: Type.String() }), ...errors(400, 401, 403) },
        },
      },
      async (request, reply) => {
        const { secret, otpauthUrl } = await setupTotp(deps, request.auth!.session.userId);
        reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
        return { secret, otpauth_url: otpauthUrl };
      },
    );

    app.post(
      '/auth/mfa/totp/enable',
      {
        preValidation: requireAuth,
        schema: {
          tags: ['mfa'],
          summary: 'Confirm TOTP enrolment with a first code; returns ten single-use backup codes',
          body: Type.Object({ code: Code }),
          response: { 200: Type.Object({ backup_codes: Type.Array(Type.String()) }), ...errors(400, 401, 403, 429) },
        },
      },
      async (request, reply) => {
        const { session } = request.auth!;
        const { backupCodes } = await enableTotp(deps, {
          userId: session.userId,
          sessionId: session.id,
          code: request.body.code,
          ctx: requestContext(request),
        });
        reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
        return { backup_codes: backupCodes };
      },
    );

    app.post(
      '/auth/mfa/totp/disable',
      {
        preValidation: requireAuth,
        schema: {
          tags: ['mfa'],
          summary: 'Turn TOTP off (needs a current code or a backup code)',
          body: Type.Object({ code: Code }),
          response: { 204: Type.Null(), ...errors(400, 401, 403, 429) },
        },
      },
      async (request, reply) => {
        const { session } = request.auth!;
        await disableTotp(deps, { userId: session.userId, sessionId: session.id, code: request.body.code, ctx: requestContext(request) });
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/auth/password',
      {
        preValidation: requireAuth,
        schema: {
          tags: ['account'],
          summary: 'Change the password; every other session ends',
          body: Type.Object({ currentPassword: Password, newPassword: Password }),
          response: { 204: Type.Null(), ...errors(400, 401, 403, 429) },
        },
      },
      async (request, reply) => {
        const { session } = request.auth!;
        await changePassword(deps, {
          userId: session.userId,
          sessionId: session.id,
          currentPassword: request.body.currentPassword,
          newPassword: request.body.newPassword,
          ctx: requestContext(request),
        });
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/auth/password/forgot',
      {
        schema: {
          tags: ['account'],
          summary: 'Mail a password-reset link (202 whether or not the account exists)',
          body: Type.Object({ email: Type.String({ maxLength: 1024 }) }),
          response: { 202: Type.Null(), ...errors(400, 429) },
        },
      },
      async (request, reply) => {
        const ctx = requestContext(request);
        const { email } = request.body;
        await admitPasswordResetRequest(deps, { email, ctx });
        // Whether the account exists decides everything below, so none of it runs before
        // the answer has left: unknown and known addresses get the same response in the
        // same time. The store may be synchronous SQLite, which holds the event loop, so
        // the work waits a random 10-50 ms more: it then does not line up with the reply
        // or with a probe sent right behind it.
        reply.raw.once('finish', () => {
          setTimeout(
            () => {
              sendPasswordReset(deps, { email, ctx, resetLink: (token) => `${config.issuer}/reset-password#token=${token}` }).catch(
                (error: unknown) => request.log.error({ err: error }, 'password reset mail failed'),
              );
            },
            randomInt(10, 51),
          );
        });
        return reply.code(202).send(null);
      },
    );

    app.post(
      '/auth/password/reset',
      {
        schema: {
          tags: ['account'],
          summary: 'Set a new password with a reset token; every session ends',
          body: Type.Object({ token: Type.String({ maxLength: 256 }), newPassword: Password }),
          response: { 204: Type.Null(), ...errors(400) },
        },
      },
      async (request, reply) => {
        await resetPassword(deps, { token: request.body.token, newPassword: request.body.newPassword, ctx: requestContext(request) });
        return reply.code(204).send(null);
      },
    );
  };
}
