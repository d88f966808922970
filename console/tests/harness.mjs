// Test harness for the console's browser tests: starts a graft in demo
// mode (its own private PostgreSQL in a temporary folder, the demo blog
// data set) with the console on, and Debian's Chromium through
// playwright-core. Screenshots go to results/console/ at the repository
// root.

import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const resultsDir = path.join(repoRoot, 'results', 'console');
export const adminSecret = 'console-test-secret';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * startGraft builds graft (unless GRAFT_BIN names a binary) and starts it
 * in demo mode on a free port. The returned stop() ends it and removes its
 * data.
 */
export async function startGraft() {
  mkdirSync(resultsDir, { recursive: true });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'graft-console-'));
  // PostgreSQL runs as user postgres when the tests run as root.
  chmodSync(dir, 0o755);
  let bin = process.env.GRAFT_BIN;
  if (!bin) {
    bin = path.join(dir, 'graft');
    execFileSync('go', ['build', '-o', bin, './cmd/graft'], { cwd: repoRoot, stdio: 'inherit' });
  }
  const port = await freePort();
  const env = {
    ...process.env,
    GRAFT_DATA_DIR: path.join(dir, 'data'),
    HASURA_GRAPHQL_SERVER_HOST: '127.0.0.1',
    HASURA_GRAPHQL_SERVER_PORT: String(port),
    HASURA_GRAPHQL_ENABLE_CONSOLE: 'true',
    HASURA_GRAPHQL_ADMIN_SECRET: adminSecret,
    HASURA_GRAPHQL_UNAUTHORIZED_ROLE: 'anonymous',
    HASURA_GRAPHQL_LOG_LEVEL: 'warn',
  };
  for (const k of ['HASURA_GRAPHQL_DATABASE_URL', 'HASURA_GRAPHQL_METADATA_DATABASE_URL', 'HASURA_GRAPHQL_CONSOLE_ASSETS_DIR', 'HASURA_GRAPHQL_ENABLED_APIS']) {
    delete env[k];
  }
  const logPath = path.join(resultsDir, 'graft.log');
  const log = createWriteStream(logPath);
  const proc = spawn(bin, ['serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.pipe(log);
  proc.stderr.pipe(log);
  let exited = null;
  const exit = new Promise((resolve) => proc.on('exit', (code, signal) => resolve((exited = { code, signal }))));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited) throw new Error(`graft exited (${JSON.stringify(exited)}) before serving; see ${logPath}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`graft did not answer /healthz within 90s; see ${logPath}`);
    }
    await sleep(200);
  }

  return {
    url,
    /** graphql runs a query against graft directly, with the given headers. */
    async graphql(query, headers = { 'x-hasura-admin-secret': adminSecret }) {
      const res = await fetch(`${url}/v1/graphql`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body: JSON.stringify({ query }),
      });
      return res.json();
    },
    async stop() {
      if (!exited) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 20_000);
        await exit;
        clearTimeout(t);
      }
      log.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** launchBrowser starts Debian's Chromium (CHROMIUM overrides the path). */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-quic',
      '--no-first-run',
      '--disable-sync',
    ],
  });
}
