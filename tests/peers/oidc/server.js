// An independent OpenID provider for the Google backend's peer tests: panva's oidc-provider
// (OpenID Certified, https://openid.net/certification/), installed from the npm registry at the
// exact version pinned in package-lock.json. Nothing of socialsite is in here: only its
// configuration, so the Google backend is checked against an OpenID provider nobody here wrote.
//
//   node server.js <redirect_uri> [--client-secret SECRET]
//
// Listens on a free loopback port and prints one JSON line to stdout when it is ready:
//   {"issuer": "http://127.0.0.1:PORT", "clients": {"client_secret_basic": {...}, "client_secret_post": {...}},
//    "accounts": {...}}
// Configuration reference: https://github.com/panva/node-oidc-provider/blob/main/docs/README.md
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

// stdout carries only the ready line; oidc-provider's notices (console.info) go to stderr.
console.info = console.error; // eslint-disable-line no-console

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'client-secret': { type: 'string' } },
});
const [redirectUri] = positionals;
if (!redirectUri) {
  process.stderr.write('usage: node server.js <redirect_uri> [--client-secret SECRET]\n');
  process.exit(2);
}
const clientSecret = values['client-secret'] || randomBytes(24).toString('hex');

// The test people, by `sub` (what the app must key accounts on). devInteractions' sign-in form
// takes the account id as its "login": a test signs in by typing a `sub`.
const ACCOUNTS = Object.fromEntries([
  {
    sub: 'peer-sub-0001', email: 'ada@peer.example', email_verified: true,
    name: 'Ada Peer', given_name: 'Ada', family_name: 'Peer',
  },
  {
    sub: 'peer-sub-0002', email: 'grace@peer.example', email_verified: true,
    name: 'Grace Peer', given_name: 'Grace', family_name: 'Peer',
  },
].map((person) => [person.sub, person]));

// One client per token endpoint authentication method, the same redirect URI registered
// exactly (oidc-provider compares redirect_uri by exact string match).
const CLIENTS = {
  client_secret_basic: 'socialsite-peer-basic',
  client_secret_post: 'socialsite-peer-post',
};

const CLIENT_AUTH_PATHS = new Set(['/token', '/token/revocation', '/token/introspection']);

async function readBody(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'peer-rs256-1', alg: 'RS256', use: 'sig' };

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;

  const provider = new Provider(issuer, {
    clients: Object.entries(CLIENTS).map(([method, clientId]) => ({
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      response_types: ['code'],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: method,
    })),
    // PKCE for every client, confidential ones included, S256 only.
    pkce: { methods: ['S256'], required: () => true },
    features: {
      devInteractions: { enabled: true }, // its built-in sign-in and consent pages
      revocation: { enabled: true },
      introspection: { enabled: true },
    },
    // Google's own API scopes (contacts.readonly) mean nothing here: oidc-provider leaves
    // scopes it does not know out of the grant, so the app sees contacts as not granted.
    scopes: ['openid', 'offline_access', 'email', 'profile'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name'],
    },
    // Google hands out a refresh token for access_type=offline, without the offline_access
    // scope; this hook is oidc-provider's documented way to issue one on the code grant.
    issueRefreshToken: async (ctx, client, code) => client.grantTypeAllowed('refresh_token')
      && (code.kind === 'AuthorizationCode' || code.kind === 'RefreshToken'),
    // A refresh token outlives the provider's browser session (it is for background work).
    expiresWithSession: async () => false,
    // Revoking any token of a grant revokes the grant, as Google documents for its tokens:
    // https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke
    revokeGrantPolicy: () => true,
    rotateRefreshToken: false,
    findAccount: async (ctx, id) => {
      const person = Object.hasOwn(ACCOUNTS, id) ? ACCOUNTS[id] : undefined;
      if (!person) return undefined;
      return {
        accountId: person.sub,
        claims: async () => ({ ...person }),
      };
    },
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 3600,
      Grant: 86400,
      RefreshToken: 86400,
    },
  });
  // oidc-provider takes client_secret_basic and client_secret_post as one family: a client
  // registered with either may use the other. Here each client must use the method it is
  // registered with, so a test proves the app really sends that one. The body is read once
  // and handed on as req.body, which oidc-provider accepts from an upstream parser.
  provider.use(async (ctx, next) => {
    if (ctx.method !== 'POST' || !CLIENT_AUTH_PATHS.has(ctx.path)) return next();
    const raw = await readBody(ctx.req);
    ctx.req.body = raw;
    const form = new URLSearchParams(raw);
    const header = ctx.get('authorization');
    let used; let clientId;
    if (header) {
      used = 'client_secret_basic';
      const decoded = Buffer.from(header.replace(/^basic /i, ''), 'base64').toString('utf8');
      clientId = decodeURIComponent(decoded.split(':')[0].replace(/\+/g, '%20'));
    } else if (form.has('client_secret')) {
      used = 'client_secret_post';
      clientId = form.get('client_id');
    }
    const registered = Object.entries(CLIENTS).find(([, id]) => id === clientId)?.[0];
    if (registered && used !== registered) {
      process.stderr.write(`peer: ${clientId} used ${used}, registered ${registered}: refused\n`);
      ctx.status = 401;
      ctx.body = {
        error: 'invalid_client',
        error_description: `client authentication must be ${registered}`,
      };
      return undefined;
    }
    return next();
  });
  // Don't print each handled error's stack: the tests read outcomes, and stderr stays quiet.
  provider.on('server_error', (ctx, error) => process.stderr.write(`peer server_error: ${error}\n`));

  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({
    issuer,
    clients: Object.fromEntries(
      Object.entries(CLIENTS).map(([method, id]) => [method, { client_id: id, client_secret: clientSecret }]),
    ),
    accounts: ACCOUNTS,
  })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
