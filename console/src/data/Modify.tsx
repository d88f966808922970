import { useCallback, useEffect, useState } from 'react';
import { bulk, metadata } from '../api';
import { ErrorMessage, Loading } from '../components';
import { defaultSource, qualified, tableRef, type QualifiedTable, type Relationship, type TableMetadata } from '../metadata';
import { navigate } from '../router';
import type { DataState } from '../pages/DataPage';
import { fetchColumns, type Column } from './columns';

type End = { table: QualifiedTable; columns: string[]; constraint_name?: string };
type Suggestion = { type: 'object' | 'array'; from: End; to: End };

// usingOf builds a relationship's "using" from a suggestion whose from
// side is this table.
function usingOf(s: Suggestion): unknown {
  if (s.type === 'object' && s.to.constraint_name === undefined && s.from.constraint_name !== undefined) {
    // The foreign key is on this table.
    return { foreign_key_constraint_on: s.from.columns.length === 1 ? s.from.columns[0] : s.from.columns };
  }
  if (s.to.constraint_name !== undefined) {
    // The foreign key is on the other table.
    return { foreign_key_constraint_on: s.to.columns.length === 1 ? { table: s.to.table, column: s.to.columns[0] } : { table: s.to.table, columns: s.to.columns } };
  }
  return { foreign_key_constraint_on: s.from.columns.length === 1 ? s.from.columns[0] : s.from.columns };
}

function suggestedName(s: Suggestion, taken: Set<string>): string {
  let name = s.to.table.name;
  if (s.type === 'array' && !name.endsWith('s')) name += 's';
  let n = name;
  for (let i = 2; taken.has(n); i++) n = `${name}${i}`;
  return n;
}

function describeUsing(using: unknown): string {
  const u = using as { foreign_key_constraint_on?: unknown; manual_configuration?: { remote_table: unknown; column_mapping: Record<string, string> } };
  if (u.foreign_key_constraint_on !== undefined) {
    const f = u.foreign_key_constraint_on as string | string[] | { table: unknown; column?: string; columns?: string[] };
    if (typeof f === 'string') return `foreign key on ${f}`;
    if (Array.isArray(f)) return `foreign key on ${f.join(', ')}`;
    return `foreign key ${qualified(tableRef(f.table))}.${f.column ?? f.columns?.join(', ')}`;
  }
  if (u.manual_configuration) {
    const m = u.manual_configuration;
    return `${qualified(tableRef(m.remote_table))} on ${Object.entries(m.column_mapping).map(([a, b]) => `${a} → ${b}`).join(', ')}`;
  }
  return JSON.stringify(using);
}

export function Modify({ data, table }: { data: DataState; table: TableMetadata }) {
  const t = tableRef(table.table);
  const [columns, setColumns] = useState<Column[] | null>(null);
  const [suggestions, setSuggestions] = useState<Suggestion[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [names, setNames] = useState<Record<number, string>>({});
  const [busy, setBusy] = useState(false);

  const loadSuggestions = useCallback(async () => {
    try {
      const res = await metadata<{ relationships: Suggestion[] }>('pg_suggest_relationships', { source: defaultSource, tables: [t], omit_tracked: true });
      setSuggestions(res.relationships.filter((s) => s.from.table.schema === t.schema && s.from.table.name === t.name));
    } catch (e) {
      setError(e);
      setSuggestions([]);
    }
  }, [t.schema, t.name]);

  useEffect(() => {
    fetchColumns(t).then(setColumns, setError);
    loadSuggestions();
  }, [t.schema, t.name, loadSuggestions]);

  const rels: (Relationship & { kind: 'object' | 'array' })[] = [
    ...(table.object_relationships ?? []).map((r) => ({ ...r, kind: 'object' as const })),
    ...(table.array_relationships ?? []).map((r) => ({ ...r, kind: 'array' as const })),
  ];
  const taken = new Set([...rels.map((r) => r.name), ...(columns ?? []).map((c) => c.name)]);

  const act = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      await data.reload();
      await loadSuggestions();
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="modify">
      <ErrorMessage error={error} />
      <section aria-labelledby="columns-heading">
        <h2 id="columns-heading">Columns</h2>
        {!columns ? (
          <Loading what="columns" />
        ) : (
          <table className="grid" aria-label="Columns">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Nullable</th>
                <th scope="col">Default</th>
                <th scope="col">Primary key</th>
                <th scope="col">Comment</th>
              </tr>
            </thead>
            <tbody>
              {columns.map((c) => (
                <tr key={c.name}>
                  <td>{c.name}</td>
                  <td>{c.type}</td>
                  <td>{c.nullable ? 'yes' : 'no'}</td>
                  <td>{c.default ?? ''}</td>
                  <td>{c.primaryKey ? 'yes' : ''}</td>
                  <td>{c.comment ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p className="muted">Change columns with SQL on the SQL page; the metadata follows renames and drops.</p>
      </section>

      <section aria-labelledby="relationships-heading">
        <h2 id="relationships-heading">Relationships</h2>
        {rels.length === 0 ? (
          <p className="muted">No relationships.</p>
        ) : (
          <table className="grid" aria-label="Relationships">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Using</th>
                <th scope="col"><span className="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {rels.map((r) => (
                <tr key={r.name}>
                  <td>{r.name}</td>
                  <td>{r.kind}</td>
                  <td>{describeUsing(r.using)}</td>
                  <td>
                    <button type="button" className="small" disabled={busy} aria-label={`Remove relationship ${r.name}`}
                      onClick={() => act(() => metadata('pg_drop_relationship', { source: defaultSource, table: t, relationship: r.name }))}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <h3>Suggested from foreign keys</h3>
        {suggestions === null ? (
          <Loading what="suggestions" />
        ) : suggestions.length === 0 ? (
          <p className="muted">No untracked relationship follows from a foreign key.</p>
        ) : (
          <table className="grid" aria-label="Suggested relationships">
            <tbody>
              {suggestions.map((s, i) => {
                const name = names[i] ?? suggestedName(s, taken);
                return (
                  <tr key={i}>
                    <td>{s.type}</td>
                    <td>
                      {s.from.columns.join(', ')} → {qualified(s.to.table)}.{s.to.columns.join(', ')}
                    </td>
                    <td>
                      <input aria-label="Relationship name" value={name} onChange={(e) => setNames({ ...names, [i]: e.target.value })} />
                    </td>
                    <td>
                      <button type="button" className="small" disabled={busy || name === ''}
                        onClick={() => act(() => metadata(s.type === 'object' ? 'pg_create_object_relationship' : 'pg_create_array_relationship', {
                          source: defaultSource, table: t, name, using: usingOf(s),
                        }))}>
                        Add relationship
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="untrack-heading">
        <h2 id="untrack-heading">Tracking</h2>
        <p className="muted">Untracking removes {qualified(t)} from the GraphQL API with its relationships and permissions, and the relationships of other tables that lead to it; the table stays in the database.</p>
        <button type="button" className="danger" disabled={busy}
          onClick={async () => {
            if (await act(() => bulk([{ type: 'pg_untrack_table', args: { source: defaultSource, table: t, cascade: true } }]))) navigate(`/data/${encodeURIComponent(t.schema)}`);
          }}>
          Untrack table
        </button>
      </section>
    </div>
  );
}
