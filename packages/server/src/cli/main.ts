import { parseArgs } from 'node:util';
import { createLatchkey, type Latchkey } from '../app.js';
import { ConfigError, loadConfig, type ServerConfig } from '../config.js';
import { registerUser } from '../core/accounts/register.js';
import { auditEvent } from '../core/audit/audit-event.js';
import { AuthError } from '../core/errors.js';
import { registerClient } from '../core/oauth/clients.js';
import { buildHttpServer } from '../http/server.js';
import { openStores } from '../store/index.js';

const USAGE = `Usage: latchkey <command>

  serve                         start the server (default)
  migrate                       apply database migrations
  keys rotate                   create a new signing key; old keys verify until their tokens expire
  keys list                     list signing keys
  users create --email E --password P [--name N] [--role R]...
  clients create --id ID [--secret S] [--redirect-uri U]... [--grant G]... [--public] [--first-party]
                 [--name N] [--scope S]...

Configuration comes from the environment; see docs/configuration.md.`;

type Out = (line: string) => void;

/** Runs one CLI command; returns the process exit code. */
export async function main(
  argv: string[],
  out: Out = (l) => console.log(l),
  err: Out = (l) => console.error(l),
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const [command = 'serve', sub, ...rest] = argv;
  let config: ServerConfig;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      err(`latchkey: configuration error: ${error.message}`);
      return 1;
    }
    throw error;
  }
  try {
    switch (command) {
      case 'serve':
        return await serve(config, out);
      case 'migrate': {
        const stores = openStores(config.databaseUrl);
        try {
          const applied = await stores.migrate();
          out(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
        } finally {
          await stores.close();
        }
        return 0;
      }
      case 'keys':
        return await withLatchkey(config, async (latchkey) => {
          if (sub === 'rotate') {
            const { kid, alg } = await latchkey.deps.keyRing.rotate();
            await latchkey.deps.audit.record(auditEvent('key_rotated', null, latchkey.deps.clock.now(), { data: { kid, alg, by: 'cli' } }));
            out(`new signing key ${kid} (${alg})`);
            return 0;
          }
          if (sub === 'list') {
            for (const k of latchkey.deps.keyRing.list()) {
              const state = k.signing
                ? 'signing'
                : k.publishUntil
                  ? `published until ${new Date(k.publishUntil).toISOString()}`
                  : 'standby';
              out(`${k.kid}  ${k.alg}  created ${new Date(k.createdAt).toISOString()}  ${state}`);
            }
            return 0;
          }
          err(USAGE);
          return 2;
        });
      case 'users':
        if (sub !== 'create') break;
        return await withLatchkey(config, async (latchkey) => {
          const { values } = parseArgs({
            args: rest,
            options: {
              email: { type: 'string' },
              password: { type: 'string' },
              name: { type: 'string' },
              role: { type: 'string', multiple: true },
              tenant: { type: 'string' },
            },
          });
          if (!values.email || !values.password) {
            err('users create needs --email and --password');
            return 2;
          }
          const user = await registerUser(
            latchkey.deps,
            {
              email: values.email,
              password: values.password,
              name: values.name ?? values.email.split('@')[0]!,
              roles: values.role ?? [],
              tenantId: values.tenant ?? null,
            },
            null,
          );
          out(`created user ${user.id} <${user.email}> roles=[${user.roles.join(',')}]`);
          return 0;
        });
      case 'clients':
        if (sub !== 'create') break;
        return await withLatchkey(config, (latchkey) => createClient(latchkey, rest, out, err));
      case 'help':
      case '--help':
      case '-h':
        out(USAGE);
        return 0;
    }
    err(USAGE);
    return 2;
  } catch (error) {
    if (error instanceof AuthError) {
      err(`latchkey: ${error.code}: ${error.description ?? ''}`);
      return 1;
    }
    err(`latchkey: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

/** `clients create`: registers an OAuth client; a confidential client's secret is printed once. */
async function createClient(latchkey: Latchkey, args: string[], out: Out, err: Out): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      id: { type: 'string' },
      secret: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      grant: { type: 'string', multiple: true },
      scope: { type: 'string', multiple: true },
      name: { type: 'string' },
      public: { type: 'boolean' },
      'first-party': { type: 'boolean' },
    },
  });
  if (!values.id) {
    err('clients create needs --id');
    return 2;
  }
  const { client, secret } = await registerClient(
    latchkey.deps,
    {
      id: values.id,
      name: values.name,
      secret: values.secret,
      redirectUris: values['redirect-uri'],
      grantTypes: values.grant,
      scopes: values.scope?.flatMap((s) => s.split(' ').filter(Boolean)),
      public: values.public ?? false,
      firstParty: values['first-party'] ?? false,
    },
    null,
  );
  const kind = `${client.public ? 'public' : 'confidential'}, ${client.firstParty ? 'first-party' : 'third-party'}`;
  out(`created client ${client.id} (${kind}) grants=[${client.grantTypes.join(',')}] scopes=[${client.scopes.join(' ')}]`);
  for (const uri of client.redirectUris) out(`  redirect_uri ${uri}`);
  if (secret !== null && values.secret === undefined) {
    out(`client_secret: ${secret}`);
    out('  (shown once; only its hash is stored)');
  } else if (secret !== null && secret.length < 32) {
    err('warning: the client secret is shorter than 32 characters; prefer a generated one (omit --secret)');
  }
  return 0;
}

async function withLatchkey(config: ServerConfig, run: (latchkey: Latchkey) => Promise<number>): Promise<number> {
  const latchkey = await createLatchkey({ ...config, logLevel: 'warn' }, { timers: false });
  try {
    return await run(latchkey);
  } finally {
    await latchkey.close();
  }
}

async function serve(config: ServerConfig, out: Out): Promise<number> {
  const latchkey = await createLatchkey(config);
  const app = await buildHttpServer(latchkey);
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const where = config.databaseUrl.startsWith('sqlite:')
    ? config.databaseUrl.slice('sqlite:'.length)
    : config.databaseUrl.replace(/\/\/[^@]*@/, '//***@');
  out(`Latchkey listening on http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`);
  out(`  issuer:   ${config.issuer}`);
  out(`  database: ${where}`);
  out(`  docs:     http://${config.host}:${port}/docs`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await app.close();
  await latchkey.close();
  return 0;
}
