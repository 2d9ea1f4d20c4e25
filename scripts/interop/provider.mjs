#!/usr/bin/env node
// provider.mjs starts oidc-provider (https://www.npmjs.com/package/oidc-provider), an
// independent, certified OpenID provider, on loopback, for oauthx's interop tests
// (flows/interop) and the side-by-side benchmark (scripts/bench).
//
// Usage:
//
//	node scripts/interop/provider.mjs [--port N] [--host 127.0.0.1] [--watch-stdin] [--quiet]
//
// The port also comes from OIDC_PROVIDER_PORT; 0 (the default) picks a free port. Once
// the server listens, one line is printed on stdout:
//
//	ISSUER http://127.0.0.1:PORT
//
// Nothing else is ever written to stdout; warnings and logs go to stderr. The process
// exits cleanly on SIGTERM and SIGINT, and with --watch-stdin also when its standard
// input closes, so a test whose process dies never leaves the provider running.
//
// The clients mirror the bundled IdP's demo clients:
//
//	web-app      confidential, client_secret_basic or client_secret_post, code
//	native-app   public (token_endpoint_auth_method none), code + PKCE (S256)
//	spa-implicit public, implicit: id_token and id_token token
//	machine      confidential, client_credentials, scopes api:read api:write
//
// The three browser clients are registered with application_type "native", which is
// how oidc-provider matches loopback redirect URIs on any port (RFC 8252 §7.3); a
// "web" client needs an exact match and may not use http with the implicit flow.
// Their registered redirect URIs are http://127.0.0.1/callback and
// http://localhost/callback (any port).
//
// Logging in: the development interactions (features.devInteractions) render a login
// form that accepts any login and any password; the login is the account id. Every
// account exists; "alice" has the claims of the bundled IdP's demo user.
//
// Known differences from the bundled IdP: oidc-provider supports only the S256 PKCE
// method (plain is refused with invalid_request); access tokens are opaque; the ID
// token of the code flow carries only sub and the protocol claims, with profile and
// email claims served by userinfo (OIDC Core §5.4, conformIdTokenClaims).
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';


const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.OIDC_PROVIDER_PORT || '0' },
    host: { type: 'string', default: process.env.OIDC_PROVIDER_HOST || '127.0.0.1' },
    'watch-stdin': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
});

const port = Number.parseInt(args.port, 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`provider.mjs: bad port ${JSON.stringify(args.port)}`);
  process.exit(2);
}

// oidc-provider prints development warnings (dev interactions, in-memory adapter, dev
// keys) with console.warn / console.info; keep stdout for the ISSUER line alone.
console.info = (...a) => console.error(...a);
console.log = (...a) => console.error(...a);
if (args.quiet) {
  console.warn = () => {};
  console.info = () => {};
}

// Imported after console is set up: oidc-provider warns at import time (for example
// about the Node.js version).
const { default: Provider } = await import('oidc-provider');

function jwk(type, options, kid, alg) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

// Fresh keys on every start: nothing secret lives in the repository.
const jwks = {
  keys: [
    jwk('rsa', { modulusLength: 2048 }, 'interop-rs256', 'RS256'),
    jwk('ec', { namedCurve: 'P-256' }, 'interop-es256', 'ES256'),
  ],
};

const users = {
  alice: { name: 'Alice Example', email: 'alice@example.com', email_verified: true },
  bob: { name: 'Bob Example', email: 'bob@example.com', email_verified: true },
};

const loopbackCallbacks = ['http://127.0.0.1/callback', 'http://localhost/callback'];

const clients = [
  {
    client_id: 'web-app',
    client_secret: 'web-app-secret',
    application_type: 'native',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: loopbackCallbacks,
  },
  {
    client_id: 'native-app',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: loopbackCallbacks,
  },
  {
    client_id: 'spa-implicit',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['implicit'],
    response_types: ['id_token', 'id_token token'],
    redirect_uris: loopbackCallbacks,
  },
  {
    client_id: 'machine',
    client_secret: 'machine-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'api:read api:write',
  },
];

const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, args.host, resolve);
});
const { port: actualPort } = server.address();
const hostForURL = args.host.includes(':') ? `[${args.host}]` : args.host;
const issuer = `http://${hostForURL}:${actualPort}`;

const provider = new Provider(issuer, {
  clients,
  jwks,
  cookies: { keys: ['oauthx-interop-cookie-key-not-a-secret'] },
  // api:read and api:write are scopes for the client credentials grant: without a
  // resource indicator, oidc-provider issues an opaque access token for the scopes the
  // client registered.
  scopes: ['openid', 'offline_access', 'profile', 'email', 'api:read', 'api:write'],
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
  },
  responseTypes: ['code', 'id_token', 'id_token token', 'none'],
  // The bundled IdP takes both ways of sending a client secret; so does this one.
  clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
  // PKCE stays required for public clients (oidc-provider's default, and the bundled
  // IdP's); oidc-provider has no option for the plain method.
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    // RFC 9207 iss in every authorization response is always on in oidc-provider
    // (discovery: authorization_response_iss_parameter_supported).
  },
  async findAccount(_ctx, id) {
    const user = users[id] ?? { name: id, email: `${id}@example.com`, email_verified: false };
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...user };
      },
    };
  },
});

server.on('request', provider.callback());

process.stdout.write(`ISSUER ${issuer}\n`);

let stopping = false;
function stop(why) {
  if (stopping) return;
  stopping = true;
  if (!args.quiet) console.error(`provider.mjs: stopping (${why})`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
  // Never hang on a connection that will not close.
  setTimeout(() => process.exit(0), 2000).unref();
}

process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
if (args['watch-stdin']) {
  process.stdin.on('end', () => stop('stdin closed'));
  process.stdin.on('close', () => stop('stdin closed'));
  process.stdin.on('error', () => stop('stdin error'));
  process.stdin.resume();
}
