// Browser tests of the console against a running graft (see harness.mjs).
// Run from console/: npm test (node --test). Each test has a fresh browser
// context; the tests share one graft and run in order.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { adminSecret, launchBrowser, resultsDir, startGraft } from './harness.mjs';

let graft;
let browser;

before(async () => {
  // Start both at once; after() stops whichever started.
  const [g, b] = await Promise.allSettled([startGraft(), launchBrowser()]);
  graft = g.value;
  browser = b.value;
  for (const r of [g, b]) if (r.status === 'rejected') throw r.reason;
});

after(async () => {
  await browser?.close();
  await graft?.stop();
});

const timeout = 15_000;

/** newPage opens a page in a fresh context; uncaught page errors fail the test. */
async function newPage(t) {
  const context = await browser.newContext({ baseURL: graft.url, viewport: { width: 1360, height: 900 } });
  context.setDefaultTimeout(timeout);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors, [], 'uncaught errors in the page');
  });
  return page;
}

function shot(page, name) {
  return page.screenshot({ path: path.join(resultsDir, `${name}.png`), fullPage: true });
}

async function signIn(page, to = '/console') {
  await page.goto(to);
  await page.getByLabel('Admin secret').fill(adminSecret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

/** see waits until the locator's first match is visible. */
async function see(locator) {
  await locator.first().waitFor({ state: 'visible' });
}

/** waitText waits until the locator's text contains want. */
async function waitText(locator, want) {
  const deadline = Date.now() + timeout;
  let got = '';
  while (Date.now() < deadline) {
    got = (await locator.allTextContents().catch(() => [])).join('\n');
    if (got.includes(want)) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`text ${JSON.stringify(want)} not found in ${JSON.stringify(got.slice(0, 500))}`);
}

// GraphiQL's query editor is CodeMirror 5; set its text directly rather
// than typing into it, which would fight its bracket completion.
async function runQuery(page, query) {
  await page.locator('.graphiql-query-editor .CodeMirror').waitFor();
  await page.evaluate((q) => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(q), query);
  await page.getByRole('button', { name: /Execute query/ }).click();
}

function response(page) {
  return page.locator('.graphiql-response');
}

async function addHeader(page, key, value) {
  await page.getByRole('button', { name: 'Add header' }).click();
  await page.getByLabel('Key', { exact: true }).last().fill(key);
  await page.getByLabel('Value', { exact: true }).last().fill(value);
}

function schemaStatus(page) {
  return page.locator('.schema-status');
}

function jwt(payload) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}.c2lnbmF0dXJl`;
}

test('log in with the admin secret', async (t) => {
  const page = await newPage(t);
  await page.goto('/');
  assert.match(page.url(), /\/console/, '/ redirects to the console');
  await see(page.getByLabel('Admin secret'));
  await shot(page, 'login');

  await page.getByLabel('Admin secret').fill('wrong secret');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitText(page.getByRole('alert'), 'access-denied');
  await waitText(page.getByRole('alert'), 'invalid x-hasura-admin-secret');

  await page.getByLabel('Admin secret').fill(adminSecret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  for (const name of ['API', 'Data', 'SQL']) await see(page.getByRole('link', { name, exact: true }));
  const stored = await page.evaluate(() => ({ session: { ...sessionStorage }, local: { ...localStorage } }));
  assert.equal(stored.session['graft.adminSecret'], adminSecret);
  assert.ok(!JSON.stringify(stored.local).includes(adminSecret), 'the admin secret is not in localStorage');

  // The secret lasts for the browser session: a reload stays signed in.
  await page.reload();
  await see(page.getByRole('navigation', { name: 'Main' }));
  await page.getByRole('button', { name: 'Sign out' }).click();
  await see(page.getByLabel('Admin secret'));
});

test('run a query on the API page', async (t) => {
  const page = await newPage(t);
  await signIn(page);
  await waitText(schemaStatus(page), 'role admin');
  // The admin secret row is pre-filled.
  assert.equal(await page.getByLabel('Key', { exact: true }).first().inputValue(), 'x-hasura-admin-secret');
  assert.equal(await page.getByLabel('Value', { exact: true }).first().inputValue(), adminSecret);
  await runQuery(page, 'query { author(order_by: {id: asc}) { id name } }');
  await waitText(response(page), 'Ada Lovelace');
  await shot(page, 'api');

  await runQuery(page, 'query { author { no_such_field } }');
  await waitText(response(page), 'validation-failed');
  const local = await page.evaluate(() => JSON.stringify({ ...localStorage }));
  assert.ok(!local.includes(adminSecret), 'GraphiQL keeps no header with the admin secret in localStorage');
});

test('decode a JWT with and without Hasura claims', async (t) => {
  const page = await newPage(t);
  await signIn(page);
  const withClaims = jwt({
    sub: '42',
    name: 'Ada',
    'https://hasura.io/jwt/claims': { 'x-hasura-allowed-roles': ['user'], 'x-hasura-default-role': 'user', 'x-hasura-user-id': '42' },
  });
  await addHeader(page, 'Authorization', `Bearer ${withClaims}`);
  await page.getByRole('button', { name: 'Decode JWT' }).click();
  const panel = page.getByRole('region', { name: 'Decoded JWT' });
  await waitText(panel.getByLabel('JWT header'), 'HS256');
  await waitText(panel.getByLabel('JWT payload'), '"name": "Ada"');
  await waitText(panel.getByLabel('Hasura claims'), '"x-hasura-default-role": "user"');
  await shot(page, 'api-jwt');

  await page.getByLabel('Value', { exact: true }).last().fill(`Bearer ${jwt({ sub: '7', name: 'Alan' })}`);
  await page.getByRole('button', { name: 'Decode JWT' }).click();
  await waitText(panel, 'Hasura claims not found');
  await waitText(panel.getByLabel('JWT payload'), 'Alan');

  await page.getByLabel('Value', { exact: true }).last().fill('Bearer not-a-token');
  await page.getByRole('button', { name: 'Decode JWT' }).click();
  await waitText(panel.getByRole('alert'), 'three parts');
});

test('the docs follow the role the headers select', async (t) => {
  const page = await newPage(t);
  await signIn(page);
  await waitText(schemaStatus(page), 'role admin');
  await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
  const docs = page.locator('.graphiql-doc-explorer');
  await waitText(docs, 'mutation_root');

  // As anonymous: no admin secret, X-Hasura-Role: anonymous.
  await page.getByLabel('Enable header x-hasura-admin-secret').uncheck();
  await addHeader(page, 'X-Hasura-Role', 'anonymous');
  await waitText(schemaStatus(page), 'role anonymous');
  await waitText(docs, 'query_root');
  assert.ok(!(await docs.textContent()).includes('mutation_root'), 'anonymous sees no mutation_root');
  await shot(page, 'api-docs-anonymous');

  // Autocompletion uses the same schema: validation marks a mutation.
  await runQuery(page, 'query { author { id name } }');
  await waitText(response(page), 'Ada Lovelace');
  await runQuery(page, 'query { author { created_at } }');
  await waitText(response(page), "field 'created_at' not found in type: 'author'");
});

test('browse, sort, filter, page, insert, edit and delete rows', async (t) => {
  const page = await newPage(t);
  await signIn(page);
  await page.getByRole('link', { name: 'Data', exact: true }).click();
  await page.getByRole('complementary', { name: 'Tables' }).getByRole('link', { name: 'author', exact: true }).click();
  const rows = page.getByRole('table', { name: 'Rows' });
  await waitText(rows, 'Ada Lovelace');
  await waitText(page.getByLabel('Shown rows'), 'Rows 1–4 of 4');
  await shot(page, 'data-browse');

  // Sort by name, descending on the second click.
  await rows.getByRole('button', { name: 'name' }).click();
  await rows.getByRole('button', { name: /name ▲/ }).click();
  await waitText(rows.locator('tbody tr').first(), 'Grace Hopper');

  // Filter.
  await page.getByRole('button', { name: 'Add filter' }).click();
  await page.getByLabel('Filter column').selectOption('name');
  await page.getByLabel('Filter operator').selectOption('_ilike');
  await page.getByLabel('Filter value').fill('%turing%');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await waitText(page.getByLabel('Shown rows'), 'Rows 1–1 of 1');
  await waitText(rows, 'Alan Turing');

  // Page through the articles, five at a time.
  await page.getByRole('complementary', { name: 'Tables' }).getByRole('link', { name: 'article', exact: true }).click();
  await waitText(page.getByLabel('Shown rows'), 'of 9');
  await page.getByLabel('Rows per page').selectOption('5');
  await waitText(page.getByLabel('Shown rows'), 'Rows 1–5 of 9');
  await page.getByRole('button', { name: 'Next page' }).click();
  await waitText(page.getByLabel('Shown rows'), 'Rows 6–9 of 9');

  // Insert, edit and delete a tag through GraphQL mutations.
  await page.getByRole('complementary', { name: 'Tables' }).getByRole('link', { name: 'tag', exact: true }).click();
  await waitText(page.getByLabel('Shown rows'), 'Rows 1–');
  await page.getByRole('button', { name: 'Insert row' }).click();
  const form = page.getByRole('form', { name: 'Insert row' });
  await form.getByLabel('name', { exact: true }).fill('console-tag');
  await form.getByRole('button', { name: 'Insert' }).click();
  await waitText(page.locator('.notice'), 'Row inserted.');
  let data = await graft.graphql('{ tag(where: {name: {_eq: "console-tag"}}) { id name } }');
  assert.equal(data.data.tag.length, 1, JSON.stringify(data));

  await page.getByRole('button', { name: 'Add filter' }).click();
  await page.getByLabel('Filter column').selectOption('name');
  await page.getByLabel('Filter value').fill('console-tag');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await waitText(page.getByLabel('Shown rows'), 'Rows 1–1 of 1');
  await rows.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('form', { name: 'Edit row' });
  await edit.getByLabel('name', { exact: true }).fill('console-tag-2');
  await edit.getByRole('button', { name: 'Save row' }).click();
  await waitText(page.locator('.notice'), 'Row saved.');
  data = await graft.graphql('{ tag(where: {name: {_like: "console-tag%"}}) { name } }');
  assert.deepEqual(data.data.tag, [{ name: 'console-tag-2' }]);

  await page.getByLabel('Filter value').fill('console-tag-2');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await waitText(page.getByLabel('Shown rows'), 'Rows 1–1 of 1');
  await rows.getByRole('button', { name: 'Delete' }).click();
  await rows.getByRole('button', { name: 'Confirm delete' }).click();
  await waitText(page.locator('.notice'), 'Row deleted.');
  await waitText(page.getByLabel('Shown rows'), 'of 0');
  data = await graft.graphql('{ tag(where: {name: {_like: "console-tag%"}}) { name } }');
  assert.deepEqual(data.data.tag, []);

  // A failed mutation shows graft's error and code.
  await page.getByRole('button', { name: 'Insert row' }).click();
  await form.getByLabel('name', { exact: true }).fill('history'); // already a tag: unique violation
  await form.getByRole('button', { name: 'Insert' }).click();
  await waitText(page.getByRole('alert'), 'constraint-violation');
});

test('see and change a permission, and the API follows', async (t) => {
  const page = await newPage(t);
  await signIn(page, '/console/data/public/author/permissions');
  const matrix = page.getByRole('table', { name: 'Permissions' });
  await see(matrix.getByRole('button', { name: 'anonymous select: partial' }));
  await see(matrix.getByRole('button', { name: 'user select: full' }));
  await see(matrix.getByRole('button', { name: 'user insert: partial' }));
  await see(matrix.getByRole('button', { name: 'anonymous insert: none' }));
  await see(matrix.getByLabel('admin delete: full'));
  await shot(page, 'data-permissions');

  // anonymous may read created_at and user_id from now on.
  await matrix.getByRole('button', { name: 'anonymous select: partial' }).click();
  const editor = page.getByRole('form', { name: 'Permission editor: anonymous select' });
  assert.equal(await editor.getByLabel('created_at').isChecked(), false);
  await editor.getByLabel('created_at').check();
  await editor.getByLabel('user_id').check();
  await editor.getByRole('button', { name: 'Save permissions' }).click();
  await see(matrix.getByRole('button', { name: 'anonymous select: full' }));
  await shot(page, 'data-permissions-editor');

  // A bad row filter is refused with graft's error.
  await matrix.getByRole('button', { name: 'user select: full' }).click();
  const userEditor = page.getByRole('form', { name: 'Permission editor: user select' });
  await userEditor.getByLabel('Row filter').fill('{"no_such_column": {"_eq": 1}}');
  await userEditor.getByRole('button', { name: 'Save permissions' }).click();
  await waitText(userEditor.getByRole('alert'), 'no_such_column');

  // The API page as anonymous now reads created_at.
  await page.getByRole('link', { name: 'API', exact: true }).click();
  await page.getByLabel('Enable header x-hasura-admin-secret').uncheck();
  await addHeader(page, 'X-Hasura-Role', 'anonymous');
  await waitText(schemaStatus(page), 'role anonymous');
  await runQuery(page, 'query { author(order_by: {id: asc}, limit: 1) { name created_at } }');
  await waitText(response(page), '"created_at"');
  await waitText(response(page), 'Ada Lovelace');

  // A new role with full select on tag.
  await page.goto('/console/data/public/tag/permissions');
  await page.getByLabel('New role').fill('editor');
  await page.getByRole('button', { name: 'Add role' }).click();
  const newEditor = page.getByRole('form', { name: 'Permission editor: editor select' });
  await newEditor.getByRole('button', { name: 'Save permissions' }).click();
  await see(page.getByRole('table', { name: 'Permissions' }).getByRole('button', { name: 'editor select: full' }));
  const data = await graft.graphql('{ tag(limit: 1) { name } }', { 'x-hasura-admin-secret': adminSecret, 'x-hasura-role': 'editor' });
  assert.equal(data.data?.tag?.length, 1, JSON.stringify(data));
});

test('run SQL that creates a table, track it, add its relationship', async (t) => {
  const page = await newPage(t);
  await signIn(page);
  await page.getByRole('link', { name: 'SQL', exact: true }).click();
  const sql = page.getByLabel('SQL', { exact: true });

  await sql.fill('SELEC 1');
  await page.getByRole('button', { name: 'Run' }).click();
  await waitText(page.getByRole('alert'), 'postgres-error');
  await waitText(page.getByRole('alert'), 'syntax error');

  await sql.fill(`CREATE TABLE console_note (
  id serial PRIMARY KEY,
  author_id int REFERENCES author (id),
  body text NOT NULL
);
INSERT INTO console_note (author_id, body) VALUES (1, 'written in the console');`);
  await page.getByRole('button', { name: 'Run' }).click();
  const offer = page.getByRole('region', { name: 'New tables' });
  await offer.getByRole('button', { name: 'Track console_note' }).click();
  await waitText(offer, 'console_note is tracked');
  await shot(page, 'sql-track');
  let data = await graft.graphql('{ console_note { body } }');
  assert.deepEqual(data.data?.console_note, [{ body: 'written in the console' }], JSON.stringify(data));

  await sql.fill('SELECT id, body, NULL AS nothing FROM console_note');
  await page.getByRole('button', { name: 'Run' }).click();
  const result = page.getByRole('table', { name: 'SQL result' });
  await waitText(result, 'written in the console');
  await waitText(result, 'NULL');
  await shot(page, 'sql');

  // Its foreign key suggests a relationship on the Modify tab.
  await page.getByRole('link', { name: 'Data', exact: true }).click();
  await page.getByRole('complementary', { name: 'Tables' }).getByRole('link', { name: 'console_note', exact: true }).click();
  await page.getByRole('link', { name: 'Modify' }).click();
  await waitText(page.getByRole('table', { name: 'Columns' }), 'author_id');
  const suggested = page.getByRole('table', { name: 'Suggested relationships' });
  await waitText(suggested, 'author.id');
  await suggested.getByLabel('Relationship name').fill('author');
  await suggested.getByRole('button', { name: 'Add relationship' }).click();
  await waitText(page.getByRole('table', { name: 'Relationships' }), 'author');
  await shot(page, 'data-modify');
  data = await graft.graphql('{ console_note { author { name } } }');
  assert.deepEqual(data.data?.console_note, [{ author: { name: 'Ada Lovelace' } }], JSON.stringify(data));
});

test('track and untrack tables on the Data page', async (t) => {
  const page = await newPage(t);
  await signIn(page);
  await page.getByRole('link', { name: 'SQL', exact: true }).click();
  await page.getByLabel('Offer to track tables this SQL creates').uncheck();
  await page.getByLabel('SQL', { exact: true }).fill('CREATE TABLE console_draft (id int PRIMARY KEY, title text)');
  await page.getByRole('button', { name: 'Run' }).click();
  await see(page.getByText('SQL executed.'));

  await page.getByRole('link', { name: 'Data', exact: true }).click();
  const untracked = page.getByRole('region', { name: 'Untracked tables or views' });
  const tracked = page.getByRole('region', { name: 'Tracked tables' });
  await untracked.getByRole('button', { name: 'Track console_draft' }).click();
  await see(tracked.getByRole('button', { name: 'Untrack console_draft' }));
  await shot(page, 'data-schema');
  let data = await graft.graphql('{ console_draft { id } }');
  assert.deepEqual(data, { data: { console_draft: [] } });

  await tracked.getByRole('button', { name: 'Untrack console_draft' }).click();
  await see(untracked.getByRole('button', { name: 'Track console_draft' }));
  data = await graft.graphql('{ console_draft { id } }');
  assert.equal(data.errors?.[0]?.extensions?.code, 'validation-failed', JSON.stringify(data));
});

test('an unknown console page explains itself', async (t) => {
  const page = await newPage(t);
  await signIn(page, '/console/no/such/page');
  await waitText(page.getByRole('alert'), 'no console page');
});
