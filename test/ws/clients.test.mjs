// graft's websockets with the real npm clients: graphql-ws (protocol
// graphql-transport-ws) and subscriptions-transport-ws (Apollo's
// graphql-ws). Run by ws_test.go, which starts graft and sets:
//   GRAFT_URL           http://127.0.0.1:port
//   GRAFT_ADMIN_SECRET  the admin secret
//   GRAFT_JWT_KEY       the HS256 key of HASURA_GRAPHQL_JWT_SECRET
//   GRAFT_REFETCH_MS    the live-query refetch interval
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import stws from 'subscriptions-transport-ws';

const { SubscriptionClient } = stws;
const base = process.env.GRAFT_URL;
const wsURL = base.replace(/^http/, 'ws') + '/v1/graphql';
const adminSecret = process.env.GRAFT_ADMIN_SECRET;
const jwtKey = process.env.GRAFT_JWT_KEY;
const refetchMs = Number(process.env.GRAFT_REFETCH_MS);

// jwt signs an HS256 token for a user that expires in ttl seconds.
function jwt(userId, ttl = 3600, key = jwtKey) {
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = enc({ alg: 'HS256', typ: 'JWT' });
  const body = enc({
    sub: String(userId), iat: now, exp: now + ttl,
    'https://hasura.io/jwt/claims': {
      'x-hasura-allowed-roles': ['user'], 'x-hasura-default-role': 'user', 'x-hasura-user-id': String(userId),
    },
  });
  const sig = crypto.createHmac('sha256', key).update(head + '.' + body).digest('base64url');
  return `${head}.${body}.${sig}`;
}

// sql runs SQL over HTTP (/v2/query run_sql) as admin.
async function sql(text) {
  const res = await fetch(base + '/v2/query', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hasura-admin-secret': adminSecret },
    body: JSON.stringify({ type: 'run_sql', args: { sql: text } }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

// A queue of subscription events with awaitable reads.
class Events {
  constructor() { this.items = []; this.waiters = []; }
  push(e) {
    e.at = performance.now();
    const w = this.waiters.shift();
    if (w) w(e); else this.items.push(e);
  }
  // next resolves with the next event, or rejects after ms.
  next(ms = 5000) {
    if (this.items.length) return Promise.resolve(this.items.shift());
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(done), 1);
        reject(new Error(`no event within ${ms}ms`));
      }, ms);
      const done = (e) => { clearTimeout(t); resolve(e); };
      this.waiters.push(done);
    });
  }
  // none asserts that no event arrives within ms.
  async none(ms) {
    await new Promise((r) => setTimeout(r, ms));
    assert.deepEqual(this.items, [], 'unexpected events');
  }
}

// Two adapters with one interface: subscribe(query, variables) -> Events,
// plus the connection's lifecycle events.
const clients = {
  'graphql-ws': (token) => {
    const life = new Events();
    const c = createClient({
      url: wsURL, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false,
      connectionParams: { headers: { Authorization: `Bearer ${token}` } },
      on: {
        connected: () => life.push({ type: 'connected' }),
        closed: (ev) => life.push({ type: 'closed', code: ev.code, reason: ev.reason }),
      },
    });
    return {
      life,
      subscribe(query, variables) {
        const ev = new Events();
        const stop = c.subscribe({ query, variables }, {
          next: (v) => ev.push({ type: 'data', value: v }),
          error: (e) => ev.push({ type: 'error', error: e }),
          complete: () => ev.push({ type: 'complete' }),
        });
        ev.stop = stop;
        return ev;
      },
      close: () => c.dispose(),
    };
  },
  'subscriptions-transport-ws': (token) => {
    const life = new Events();
    const c = new SubscriptionClient(wsURL, {
      reconnect: false,
      connectionParams: { headers: { Authorization: `Bearer ${token}` } },
      connectionCallback: (err) => life.push(err ? { type: 'connection_error', error: err } : { type: 'connected' }),
    }, WebSocket);
    c.onDisconnected(() => life.push({ type: 'closed' }));
    return {
      life,
      subscribe(query, variables) {
        const ev = new Events();
        const sub = c.request({ query, variables }).subscribe({
          next: (v) => ev.push({ type: 'data', value: v }),
          error: (e) => ev.push({ type: 'error', error: e }),
          complete: () => ev.push({ type: 'complete' }),
        });
        ev.stop = () => sub.unsubscribe();
        return ev;
      },
      close: () => c.close(),
    };
  },
};

const live = `subscription { message(order_by: {id: asc}) { id user_id body } }`;

for (const [name, connect] of Object.entries(clients)) {
  test(`${name}: initial result, then an insert over HTTP within the refetch interval + 200ms`, async () => {
    const c = connect(jwt(1));
    try {
      const ev = c.subscribe(live);
      const first = await ev.next();
      assert.equal(first.type, 'data');
      const before = first.value.data.message;
      assert.ok(before.length > 0 && before.every((m) => m.user_id === 1), JSON.stringify(before));
      await ev.none(refetchMs + 100); // unchanged results are not re-sent
      const t0 = performance.now();
      await sql(`INSERT INTO message (user_id, body) VALUES (1, 'hello from ${name}')`);
      const next = await ev.next(refetchMs + 1000);
      const took = next.at - t0;
      assert.equal(next.type, 'data');
      assert.ok(next.value.data.message.some((m) => m.body === `hello from ${name}`));
      assert.ok(took <= refetchMs + 200, `the insert arrived after ${took.toFixed(0)}ms`);
      ev.stop();
    } finally {
      c.close();
    }
  });

  test(`${name}: each user sees only their rows`, async () => {
    const c1 = connect(jwt(1));
    const c2 = connect(jwt(2));
    try {
      const e1 = c1.subscribe(live);
      const e2 = c2.subscribe(live);
      const [f1, f2] = [await e1.next(), await e2.next()];
      assert.ok(f1.value.data.message.every((m) => m.user_id === 1));
      assert.ok(f2.value.data.message.every((m) => m.user_id === 2));
      await sql(`INSERT INTO message (user_id, body) VALUES (2, 'for user 2 via ${name}')`);
      const n2 = await e2.next(refetchMs + 1000);
      assert.ok(n2.value.data.message.some((m) => m.body === `for user 2 via ${name}`));
      assert.ok(n2.value.data.message.every((m) => m.user_id === 2));
      await e1.none(refetchMs + 200);
    } finally {
      c1.close();
      c2.close();
    }
  });

  test(`${name}: streaming delivers each row once, in cursor order`, async () => {
    const uid = name === 'graphql-ws' ? 3 : 4; // a user of its own: the stream starts at id 0
    const c = connect(jwt(uid));
    try {
      const ev = c.subscribe(
        `subscription ($from: Int!) { message_stream(batch_size: 2, cursor: {initial_value: {id: $from}}) { id body } }`,
        { from: 0 });
      await sql(`INSERT INTO message (user_id, body) SELECT ${uid}, 'stream ' || i FROM generate_series(1, 5) i`);
      const ids = [];
      while (ids.length < 5) {
        const e = await ev.next(refetchMs * 3 + 1000);
        assert.equal(e.type, 'data', JSON.stringify(e));
        for (const r of e.value.data.message_stream) ids.push(r.id);
      }
      await sql(`INSERT INTO message (user_id, body) VALUES (${uid}, 'stream 6'), (${uid}, 'stream 7'), (1, 'not for ${uid}')`);
      while (ids.length < 7) {
        const e = await ev.next(refetchMs * 3 + 1000);
        for (const r of e.value.data.message_stream) ids.push(r.id);
      }
      await ev.none(refetchMs + 200);
      const sorted = [...ids].sort((a, b) => a - b);
      assert.deepEqual(ids, sorted, 'not in cursor order');
      assert.equal(new Set(ids).size, ids.length, `duplicates in ${ids}`);
      const { result } = await sql(`SELECT count(*) FROM message WHERE user_id = ${uid}`);
      assert.equal(ids.length, Number(result[1][0]));
    } finally {
      c.close();
    }
  });

  test(`${name}: a bad token is refused at connection_init`, async () => {
    const c = connect(jwt(1, 3600, 'x'.repeat(32) + 'forged-key'));
    try {
      if (name === 'graphql-ws') {
        const e = await c.life.next();
        assert.equal(e.type, 'closed');
        assert.equal(e.code, 4403);
        assert.equal(e.reason, '4403: Forbidden');
      } else {
        const e = await c.life.next();
        assert.equal(e.type, 'connection_error');
        assert.match(String(e.error), /Could not verify JWT/);
        assert.equal((await c.life.next()).type, 'closed');
      }
    } finally {
      c.close();
    }
  });

  test(`${name}: the socket closes when the JWT expires`, async () => {
    const c = connect(jwt(1, 2));
    try {
      c.subscribe(live);
      assert.equal((await c.life.next()).type, 'connected');
      const t0 = performance.now();
      if (name === 'graphql-ws') {
        const e = await c.life.next(5000);
        assert.equal(e.type, 'closed');
        assert.equal(e.code, 4403);
      } else {
        const e = await c.life.next(5000);
        assert.equal(e.type, 'connection_error');
        assert.equal(e.error, 'session expired');
        assert.equal((await c.life.next()).type, 'closed');
      }
      assert.ok(performance.now() - t0 < 3000);
    } finally {
      c.close();
    }
  });
}

