import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import { buildClientSchema, getIntrospectionQuery, type GraphQLSchema } from 'graphql';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { adminSecret, ApiError, postJSON } from '../api';
import { ErrorMessage } from '../components';
import { enabledHeaders, HeadersEditor, newRow, type HeaderRow } from './HeadersEditor';

const rowsKey = 'graft.headers';

// Request headers live in sessionStorage, like the admin secret they hold.
function loadRows(): HeaderRow[] {
  try {
    const raw = sessionStorage.getItem(rowsKey);
    if (raw) {
      const saved = JSON.parse(raw) as Omit<HeaderRow, 'id'>[];
      return saved.map((r) => newRow(r.key, r.value, r.enabled));
    }
  } catch {
    // fall through to the defaults
  }
  const secret = adminSecret();
  return secret ? [newRow('x-hasura-admin-secret', secret)] : [newRow()];
}

const defaultQuery = `# Write a query and run it (Ctrl-Enter).
# Docs and autocompletion follow the role
# that the request headers select.
query {
  __typename
}
`;

type SchemaState = { loading: boolean; schema: GraphQLSchema | null; error?: unknown };

// introspect fetches the schema that these headers see.
async function introspect(headers: Record<string, string>): Promise<GraphQLSchema> {
  const json = await postJSON('/v1/graphql', { query: getIntrospectionQuery() }, headers);
  if (Array.isArray(json.errors) && json.errors.length > 0) {
    const e = json.errors[0];
    throw new ApiError(String(e.message), e.extensions?.code ?? 'graphql-error');
  }
  return buildClientSchema(json.data);
}

function describeRole(h: Record<string, string>): string {
  const lower = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
  const secret = 'x-hasura-admin-secret' in lower || 'x-hasura-access-key' in lower;
  const role = lower['x-hasura-role'];
  if (role) return `role ${role}${secret ? ' (admin secret)' : ''}`;
  if (secret) return 'role admin';
  if (lower['authorization']) return 'the role of the token';
  return 'the unauthorized role';
}

export function ApiPage() {
  const [rows, setRows] = useState<HeaderRow[]>(loadRows);
  useEffect(() => {
    sessionStorage.setItem(rowsKey, JSON.stringify(rows.map(({ enabled, key, value }) => ({ enabled, key, value }))));
  }, [rows]);
  const headers = useMemo(() => enabledHeaders(rows), [rows]);
  const headersKey = JSON.stringify(headers);
  const headersRef = useRef(headers);
  headersRef.current = headers;

  const [schema, setSchema] = useState<SchemaState>({ loading: true, schema: null });
  const [reload, setReload] = useState(0);
  useEffect(() => {
    let cancelled = false;
    setSchema((s) => ({ ...s, loading: true }));
    const timer = setTimeout(async () => {
      try {
        const sch = await introspect(JSON.parse(headersKey));
        if (!cancelled) setSchema({ loading: false, schema: sch });
      } catch (e) {
        if (!cancelled) setSchema({ loading: false, schema: null, error: e });
      }
    }, 250);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [headersKey, reload]);

  const fetcher = useCallback(async (params: unknown) => {
    const res = await fetch('/v1/graphql', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headersRef.current },
      body: JSON.stringify(params),
    });
    const text = await res.text();
    try {
      return JSON.parse(text);
    } catch {
      return { errors: [{ message: `graft answered HTTP ${res.status} with a body that is not JSON: ${text.slice(0, 200)}` }] };
    }
  }, []);

  return (
    <div className="api-page">
      <HeadersEditor rows={rows} onChange={setRows} />
      <div className="schema-status" role="status" aria-live="polite">
        {schema.loading
          ? 'Loading the schema…'
          : schema.schema
            ? `Documentation and autocompletion show the schema of ${describeRole(headers)}.`
            : 'No schema: introspection with these headers failed.'}{' '}
        <button type="button" className="small" onClick={() => setReload((n) => n + 1)}>
          Reload schema
        </button>
      </div>
      {schema.error ? <ErrorMessage error={schema.error} /> : null}
      <div className="graphiql-box">
        <GraphiQL fetcher={fetcher} schema={schema.schema} isHeadersEditorEnabled={false} defaultQuery={defaultQuery} />
      </div>
    </div>
  );
}
