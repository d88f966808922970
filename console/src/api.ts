// The console talks to graft only through its public HTTP APIs:
// /v1/graphql, /v1/metadata and /v2/query. Every failure becomes an
// ApiError carrying graft's message and code, so that pages can show them.

export class ApiError extends Error {
  code: string;
  path?: string;
  detail?: string;
  constructor(message: string, code: string, path?: string, detail?: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.path = path;
    this.detail = detail;
  }
}

/** toApiError turns anything thrown into an ApiError. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof Error) return new ApiError(e.message, 'console-error');
  return new ApiError(String(e), 'console-error');
}

const secretKey = 'graft.adminSecret';

/** The admin secret, kept for this browser session only (sessionStorage). */
export function adminSecret(): string | null {
  return sessionStorage.getItem(secretKey);
}

export function setAdminSecret(secret: string | null) {
  if (secret === null) sessionStorage.removeItem(secretKey);
  else sessionStorage.setItem(secretKey, secret);
}

/** adminHeaders are the headers of the console's own admin requests. */
export function adminHeaders(): Record<string, string> {
  const s = adminSecret();
  return s ? { 'x-hasura-admin-secret': s } : {};
}

// internalMessage digs PostgreSQL's message out of extensions.internal or
// internal (present for admins in graft's errors), e.g. for postgres-error.
function internalMessage(internal: unknown): string | undefined {
  if (!internal || typeof internal !== 'object') return undefined;
  const err = (internal as { error?: { message?: unknown; description?: unknown } }).error;
  if (err && typeof err.message === 'string') {
    return typeof err.description === 'string' ? `${err.message}: ${err.description}` : err.message;
  }
  return undefined;
}

/** postJSON posts body to url and returns the decoded answer. */
export async function postJSON(url: string, body: unknown, headers: Record<string, string>): Promise<any> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(`cannot reach graft: ${e instanceof Error ? e.message : String(e)}`, 'network-error');
  }
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiError(`graft answered HTTP ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`, 'invalid-response');
  }
  if (!res.ok || (json && typeof json === 'object' && !Array.isArray(json) && typeof json.error === 'string' && json.code)) {
    if (json && typeof json.error === 'string') {
      throw new ApiError(json.error, json.code ?? `http-${res.status}`, json.path, internalMessage(json.internal));
    }
    throw new ApiError(`graft answered HTTP ${res.status}`, `http-${res.status}`);
  }
  return json;
}

/** metadata calls /v1/metadata as admin. */
export function metadata<T = any>(type: string, args: unknown = {}): Promise<T> {
  return postJSON('/v1/metadata', { type, args }, adminHeaders());
}

/** bulk runs several metadata commands in one request. */
export function bulk(cmds: { type: string; args: unknown }[]): Promise<any> {
  return postJSON('/v1/metadata', { type: 'bulk', args: cmds }, adminHeaders());
}

export type RunSQLResult = { result_type: 'TuplesOk' | 'CommandOk'; result: (string | null)[][] | null };

/** runSQL runs SQL on source "default" through /v2/query run_sql. */
export function runSQL(sql: string, opts: { readOnly?: boolean; cascade?: boolean } = {}): Promise<RunSQLResult> {
  return postJSON(
    '/v2/query',
    { type: 'run_sql', args: { source: 'default', sql, cascade: !!opts.cascade, read_only: !!opts.readOnly } },
    adminHeaders(),
  );
}

/** graphql runs an operation as admin and returns its data, or throws its first error. */
export async function graphql<T = any>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const json = await postJSON('/v1/graphql', { query, variables }, adminHeaders());
  if (Array.isArray(json.errors) && json.errors.length > 0) {
    const e = json.errors[0];
    throw new ApiError(
      String(e.message),
      e.extensions?.code ?? 'graphql-error',
      e.extensions?.path,
      internalMessage(e.extensions?.internal),
    );
  }
  return json.data as T;
}

/** sqlString quotes s as an SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
