// A real OpenID Connect provider on loopback for the single sign-on tests: panva's
// oidc-provider (OpenID Certified), not a mock. Discovery, the authorization code flow with
// PKCE, signed ID tokens, userinfo and RP-initiated logout are the library's own.
//
//   node server.mjs config.json
//
// config.json: {"providers": [{"name": "acme", "clients": [{client_id, client_secret,
// redirect_uris, post_logout_redirect_uris}]}], "accounts": {"<login>": {claims}}}
//
// Each provider listens on its own free port of 127.0.0.1 (its issuer is
// http://127.0.0.1:<port>); when all listen, one line goes to stdout:
//   READY {"acme": "http://127.0.0.1:40123", ...}
//
// People sign in on the library's development login form (any password), which is what a
// test needs; a login's claims come from "accounts" (default: the login is the e-mail
// address, verified).
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";

import Provider from "oidc-provider";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const accounts = config.accounts || {};

function claimsFor(login) {
  const extra = accounts[login] || {};
  return {
    sub: extra.sub || login,
    email: extra.email || login,
    email_verified: extra.email_verified === undefined ? true : extra.email_verified,
    given_name: extra.given_name || login.split("@")[0],
    family_name: extra.family_name || "Tester",
  };
}

async function start({ name, clients }) {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const signingKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });
  const provider = new Provider(issuer, {
    clients: clients.map((client) => ({
      ...client,
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    })),
    jwks: { keys: [{ ...signingKey, kid: `${name}-1`, use: "sig", alg: "RS256" }] },
    cookies: { keys: [`${name}-test-only-cookie-key`] },
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["given_name", "family_name"],
    },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    async findAccount(ctx, id) {
      return { accountId: id, async claims() { return claimsFor(id); } };
    },
    // A first-party client: no consent screen (the pattern from the library's docs).
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope("openid email profile");
      await grant.save();
      return grant;
    },
  });
  provider.on("server_error", (ctx, error) => console.error(`[${name}] server_error`, error));
  server.on("request", provider.callback());
  return [name, issuer];
}

const issuers = Object.fromEntries(await Promise.all(config.providers.map(start)));
console.log(`READY ${JSON.stringify(issuers)}`);
process.on("SIGTERM", () => process.exit(0));
