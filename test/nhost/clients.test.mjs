// graft's sign-in service with Nhost's official clients (signin.md §13).
// Run by clients_test.go, which starts graft with GRAFT_AUTH_ENABLED and
// no JWT configuration, and sets:
//   GRAFT_URL           http://127.0.0.1:port
//   GRAFT_ADMIN_SECRET  the admin secret
//   GRAFT_GRACE_MS      GRAFT_AUTH_REFRESH_GRACE_SECONDS, in ms
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createClient, createServerClient } from '@nhost/nhost-js';
import { MemoryStorage } from '@nhost/nhost-js/session';
import { FetchError } from '@nhost/nhost-js/fetch';
import { NhostClient } from 'nhost-js-v3';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';

const base = process.env.GRAFT_URL;
const authUrl = base + '/auth/v1';
const graphqlUrl = base + '/v1/graphql';
const adminSecret = process.env.GRAFT_ADMIN_SECRET;
const graceMs = Number(process.env.GRAFT_GRACE_MS);
const password = 'correct horse battery';

const newClient = () => createClient({ authUrl, graphqlUrl, storage: new MemoryStorage() });
const email = (name) => `${name}-${crypto.randomUUID().slice(0, 8)}@example.com`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// claims decodes an access token's Hasura claims.
function claims(token) {
  const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
  return { ...payload, hasura: payload['https://hasura.io/jwt/claims'] };
}

// rejects asserts that p fails with a FetchError of status and error code.
async function rejects(p, status, code) {
  await assert.rejects(p, (e) => {
    assert.ok(e instanceof FetchError, `not a FetchError: ${e}`);
    assert.equal(e.status, status, JSON.stringify(e.body));
    if (code) assert.equal(e.body.error, code, JSON.stringify(e.body));
    return true;
  });
}

// refresh calls POST /token with a refresh token, outside any client.
async function refresh(token) {
  const res = await fetch(authUrl + '/token', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: token }),
  });
  return { status: res.status, body: await res.json() };
}

// sql runs SQL as admin.
async function sql(text) {
  const res = await fetch(base + '/v2/query', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hasura-admin-secret': adminSecret },
    body: JSON.stringify({ type: 'run_sql', args: { sql: text } }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.result;
}

// signedIn returns a 4.x client signed up and in as a new user.
async function signedIn(name) {
  const nhost = newClient();
  const addr = email(name);
  await nhost.auth.signUpEmailPassword({ email: addr, password });
  await nhost.auth.signInEmailPassword({ email: addr, password });
  return { nhost, addr };
}

test('nhost-js 4.x', async (t) => {
  await t.test('health check', async () => {
    const nhost = newClient();
    const res = await nhost.auth.healthCheckGet();
    assert.equal(res.status, 200);
    assert.equal(res.body, 'OK');
  });

  await t.test('sign up, sign in, get the user, GraphQL as role user', async () => {
    const nhost = newClient();
    const addr = email('alice');
    const up = await nhost.auth.signUpEmailPassword({ email: addr, password });
    assert.ok(up.body.session.accessToken);
    assert.equal(up.body.session.user.email, addr);

    const other = await signedIn('bob');
    const res = await nhost.auth.signInEmailPassword({ email: addr, password });
    const session = nhost.getUserSession();
    assert.equal(session.refreshToken, res.body.session.refreshToken);
    const c = claims(session.accessToken);
    assert.equal(c.hasura['x-hasura-user-id'], session.user.id);
    assert.equal(c.iss, 'hasura-auth');
    assert.equal(c.exp - c.iat, 900);

    const user = await nhost.auth.getUser();
    assert.equal(user.body.id, session.user.id);
    assert.deepEqual(user.body.roles, ['me', 'user']);

    const tn = await nhost.graphql.request({ query: '{ __typename }' });
    assert.equal(tn.body.data.__typename, 'query_root');

    // A row filter on X-Hasura-User-Id returns only the user's rows.
    const otherId = other.nhost.getUserSession().user.id;
    await sql(`INSERT INTO note (user_id, body) VALUES ('${session.user.id}', 'mine'), ('${otherId}', 'theirs')`);
    const notes = await nhost.graphql.request({ query: '{ note { body user_id } }' });
    assert.deepEqual(notes.body.data.note, [{ body: 'mine', user_id: session.user.id }]);
    // The auth tables are tracked under Nhost's names; a user reads their own row.
    const users = await nhost.graphql.request({ query: '{ users { id email displayName } }' });
    assert.deepEqual(users.body.data.users, [{ id: session.user.id, email: addr, displayName: addr }]);
    await rejects(nhost.graphql.request({ query: '{ users { passwordHash } }' }), 200);
  });

  await t.test('wrong password', async () => {
    const nhost = newClient();
    const addr = email('carol');
    await nhost.auth.signUpEmailPassword({ email: addr, password });
    await assert.rejects(nhost.auth.signInEmailPassword({ email: addr, password: 'wrong password!' }), (e) => {
      assert.equal(e.status, 401);
      assert.deepEqual(e.body, { error: 'invalid-email-password', message: 'Incorrect email or password', status: 401 });
      return true;
    });
  });

  await t.test('refresh: rotation, grace window, reuse', async () => {
    const { nhost } = await signedIn('dave');
    const before = nhost.getUserSession();
    const after = await nhost.refreshSession(0);
    assert.notEqual(after.refreshToken, before.refreshToken);
    assert.equal(after.refreshTokenId, before.refreshTokenId);

    // Inside the grace window the old token answers with the same new one.
    const again = await refresh(before.refreshToken);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.refreshToken, after.refreshToken);
    assert.equal(again.body.refreshTokenId, after.refreshTokenId);

    await sleep(graceMs + 500);
    const reused = await refresh(before.refreshToken);
    assert.equal(reused.status, 401);
    assert.equal(reused.body.error, 'invalid-refresh-token');
    // Reuse revoked the family: the current token is dead too.
    await rejects(nhost.auth.refreshToken({ refreshToken: after.refreshToken }), 401, 'invalid-refresh-token');
  });

  await t.test('deleting the refresh token rows revokes', async () => {
    const { nhost } = await signedIn('erin');
    const s = nhost.getUserSession();
    await sql(`DELETE FROM auth.refresh_tokens WHERE user_id = '${s.user.id}'`);
    await rejects(nhost.auth.refreshToken({ refreshToken: s.refreshToken }), 401, 'invalid-refresh-token');
  });

  await t.test('sign out', async () => {
    const { nhost } = await signedIn('frank');
    const s = nhost.getUserSession();
    await nhost.auth.signOut({ refreshToken: s.refreshToken });
    assert.equal(nhost.getUserSession(), null);
    assert.equal((await refresh(s.refreshToken)).status, 401);
  });

  await t.test('sign out all', async () => {
    const { nhost: a, addr } = await signedIn('grace');
    const b = newClient();
    await b.auth.signInEmailPassword({ email: addr, password });
    const sa = a.getUserSession();
    await b.auth.signOut({ all: true });
    assert.equal(b.getUserSession(), null);
    const r = await refresh(sa.refreshToken);
    assert.equal(r.status, 401);
    assert.equal(r.body.error, 'invalid-refresh-token');
  });

  await t.test('anonymous', async () => {
    const nhost = newClient();
    const res = await nhost.auth.signInAnonymous();
    assert.equal(res.body.session.user.isAnonymous, true);
    assert.equal(res.body.session.user.email, undefined);
    const c = claims(nhost.getUserSession().accessToken);
    assert.equal(c.hasura['x-hasura-user-is-anonymous'], 'true');
    assert.deepEqual(c.hasura['x-hasura-allowed-roles'], ['anonymous']);
    await rejects(nhost.auth.getUser(), 403, 'forbidden-anonymous');
  });

  await t.test('server client', async () => {
    const addr = email('heidi');
    await newClient().auth.signUpEmailPassword({ email: addr, password });
    const server = createServerClient({ authUrl, graphqlUrl, storage: new MemoryStorage() });
    await server.auth.signInEmailPassword({ email: addr, password });
    assert.equal(server.getUserSession().user.email, addr);
    const anon = createServerClient({ authUrl, graphqlUrl, storage: new MemoryStorage() });
    await anon.auth.signInAnonymous();
    assert.equal(anon.getUserSession().user.isAnonymous, true);
  });

  await t.test('TOTP MFA', async () => {
    const { nhost, addr } = await signedIn('ivan');
    const gen = await nhost.auth.changeUserMfa();
    const m = /^data:image\/png;base64,(.+)$/.exec(gen.body.imageUrl);
    assert.ok(m, 'imageUrl is a PNG data URL');
    const png = PNG.sync.read(Buffer.from(m[1], 'base64'));
    const qr = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    assert.ok(qr, 'the QR code decodes');
    const uri = new URL(qr.data);
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.searchParams.get('secret'), gen.body.totpSecret);
    assert.equal(uri.searchParams.get('issuer'), 'auth');
    assert.equal(uri.host, 'totp');
    assert.equal(decodeURIComponent(uri.pathname), `/auth:${addr}`);

    const secret = base32(gen.body.totpSecret);
    await nhost.auth.verifyChangeUserMfa({ code: totp(secret, 0), activeMfaType: 'totp' });
    const fresh = newClient();
    const res = await fresh.auth.signInEmailPassword({ email: addr, password });
    assert.match(res.body.mfa.ticket, /^mfaTotp:/);
    assert.equal(res.body.session, undefined);
    // The activation code's time step is used up; the next one is accepted.
    await fresh.auth.verifySignInMfaTotp({ ticket: res.body.mfa.ticket, otp: totp(secret, 1) });
    assert.equal(fresh.getUserSession().user.activeMfaType, 'totp');
  });
});

// base32 decodes RFC 4648 base32 without padding.
function base32(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out = [];
  for (const c of s) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

// totp is RFC 6238's code (SHA-1, 6 digits, 30 s) `ahead` steps from now.
function totp(secret, ahead) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + ahead));
  const h = crypto.createHmac('sha1', secret).update(counter).digest();
  const off = h[h.length - 1] & 15;
  return String((h.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}

test('nhost-js 3.x (legacy)', async (t) => {
  const store = new Map();
  const nhost = new NhostClient({
    authUrl, graphqlUrl, storageUrl: base + '/storage/v1', functionsUrl: base + '/functions/v1',
    clientStorageType: 'custom',
    clientStorage: {
      getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v), removeItem: (k) => store.delete(k),
    },
    autoRefreshToken: false, autoSignIn: false,
  });
  const addr = email('judy');

  await t.test('sign up', async () => {
    const res = await nhost.auth.signUp({ email: addr, password });
    assert.equal(res.error, null);
    assert.ok(res.session.accessToken);
    assert.equal(res.session.user.email, addr);
  });

  await t.test('sign in', async () => {
    await nhost.auth.signOut();
    const res = await nhost.auth.signIn({ email: addr, password });
    assert.equal(res.error, null);
    assert.ok(nhost.auth.isAuthenticated());
    assert.equal(nhost.auth.getUser().email, addr);
  });

  let old;
  await t.test('refresh', async () => {
    old = nhost.auth.getSession().refreshToken;
    const res = await nhost.auth.refreshSession();
    assert.equal(res.error, null);
    assert.notEqual(nhost.auth.getSession().refreshToken, old);
  });

  await t.test('sign out all', async () => {
    const current = nhost.auth.getSession().refreshToken;
    const res = await nhost.auth.signOut({ all: true });
    assert.equal(res.error, null);
    assert.equal(nhost.auth.isAuthenticated(), false);
    assert.equal((await refresh(current)).status, 401);
    assert.equal((await refresh(old)).status, 401);
  });
});
