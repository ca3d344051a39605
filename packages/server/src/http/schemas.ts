import { Type } from 'typebox';

/** Shared schemas: one source for validation, types and the OpenAPI document. */
export const ErrorBody = Type.Object(
  {
    error: Type.String({ description: 'Stable error code' }),
    error_description: Type.String(),
    reason: Type.Optional(Type.String({ description: 'Why the session ended, when it did' })),
  },
  { $id: 'Error' },
);

export const User = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  roles: Type.Array(Type.String()),
  tenant_id: Type.Union([Type.String(), Type.Null()]),
});

export const Session = Type.Object({
  id: Type.String(),
  type: Type.Union([Type.Literal('standard'), Type.Literal('extended')]),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  idleExpiresAt: Type.String({ format: 'date-time' }),
  accessTokenExpiresAt: Type.String({ format: 'date-time' }),
});

export const Device = Type.Object({
  id: Type.String(),
  current: Type.Boolean(),
  type: Type.Union([Type.Literal('standard'), Type.Literal('extended')]),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  ip: Type.String(),
  userAgent: Type.String(),
  device: Type.String(),
});

export const Transport = Type.Union([Type.Literal('cookie'), Type.Literal('bearer')]);

export const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, ErrorBody]));
