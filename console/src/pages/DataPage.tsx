import { useCallback, useEffect, useState } from 'react';
import { bulk, metadata } from '../api';
import { ErrorMessage, Link, Loading } from '../components';
import { BrowseRows } from '../data/BrowseRows';
import { Modify } from '../data/Modify';
import { Permissions } from '../data/Permissions';
import { defaultSource, exportMetadata, findTable, qualified, tableRef, trackedTables, type Metadata, type QualifiedTable } from '../metadata';
import { navigate } from '../router';

/** DataState is what every part of the Data page reads, and how to refresh it. */
export type DataState = {
  md: Metadata;
  sourceTables: QualifiedTable[];
  reload: () => Promise<void>;
};

const tabs = [
  { id: 'browse', name: 'Browse rows' },
  { id: 'modify', name: 'Modify' },
  { id: 'permissions', name: 'Permissions' },
];

function parse(path: string): { schema?: string; table?: string; tab?: string } {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { schema: parts[0], table: parts[1], tab: parts[2] };
}

export function tablePath(t: QualifiedTable, tab = 'browse'): string {
  return `/data/${encodeURIComponent(t.schema)}/${encodeURIComponent(t.name)}/${tab}`;
}

export function DataPage({ path }: { path: string }) {
  const [state, setState] = useState<{ md: Metadata; sourceTables: QualifiedTable[] } | null>(null);
  const [error, setError] = useState<unknown>(null);

  const reload = useCallback(async () => {
    try {
      const [md, st] = await Promise.all([
        exportMetadata(),
        metadata<QualifiedTable[]>('pg_get_source_tables', { source: defaultSource }).catch(() => [] as QualifiedTable[]),
      ]);
      setState({ md, sourceTables: st });
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => {
    reload();
  }, [reload]);

  const { schema, table, tab } = parse(path);
  useEffect(() => {
    // /data shows the public schema.
    if (!schema) navigate('/data/public', true);
  }, [schema]);
  if (error && !state) return <div className="page"><ErrorMessage error={error} onRetry={reload} /></div>;
  if (!state) return <div className="page"><Loading what="tables" /></div>;

  const data: DataState = { ...state, reload };
  const tracked = trackedTables(state.md).map((t) => tableRef(t.table));
  const schemas = [...new Set([...state.sourceTables.map((t) => t.schema), ...tracked.map((t) => t.schema), 'public'])].sort();
  const current = schema ?? 'public';

  return (
    <div className="data-page">
      <aside className="sidebar" aria-label="Tables">
        <label htmlFor="schema-select">Schema</label>
        <select id="schema-select" value={current} onChange={(e) => navigate(`/data/${encodeURIComponent(e.target.value)}`)}>
          {schemas.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <h2>Tables</h2>
        <ul className="table-list">
          {tracked
            .filter((t) => t.schema === current)
            .sort((a, b) => a.name.localeCompare(b.name))
            .map((t) => (
              <li key={t.name}>
                <Link to={tablePath(t, tab ?? 'browse')} className={t.name === table ? 'active' : undefined} aria-current={t.name === table ? 'page' : undefined}>
                  {t.name}
                </Link>
              </li>
            ))}
        </ul>
      </aside>
      <main className="page">
        {error ? <ErrorMessage error={error} onRetry={reload} /> : null}
        {table ? <TableView data={data} table={{ schema: current, name: table }} tab={tab ?? 'browse'} /> : <SchemaView data={data} schema={current} />}
      </main>
    </div>
  );
}

function SchemaView({ data, schema }: { data: DataState; schema: string }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const tracked = trackedTables(data.md)
    .map((t) => tableRef(t.table))
    .filter((t) => t.schema === schema)
    .sort((a, b) => a.name.localeCompare(b.name));
  const untracked = data.sourceTables.filter((t) => t.schema === schema && !tracked.some((x) => x.name === t.name));
  const run = async (what: string, fn: () => Promise<unknown>) => {
    setBusy(what);
    setError(null);
    try {
      await fn();
      await data.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };
  const track = (t: QualifiedTable) => metadata('pg_track_table', { source: defaultSource, table: t });
  return (
    <div>
      <h1>Schema {schema}</h1>
      <ErrorMessage error={error} />
      <section aria-labelledby="tracked-heading">
        <h2 id="tracked-heading">Tracked tables</h2>
        {tracked.length === 0 ? (
          <p className="muted">No table of this schema is tracked: the GraphQL API does not show any of them.</p>
        ) : (
          <table className="grid">
            <tbody>
              {tracked.map((t) => (
                <tr key={t.name}>
                  <td>
                    <Link to={tablePath(t)}>{t.name}</Link>
                  </td>
                  <td>
                    <button type="button" className="small" disabled={busy !== null} aria-label={`Untrack ${t.name}`}
                      onClick={() => run('untrack', () => metadata('pg_untrack_table', { source: defaultSource, table: t, cascade: false }))}>
                      Untrack
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="untracked-heading">
        <h2 id="untracked-heading">Untracked tables or views</h2>
        {untracked.length === 0 ? (
          <p className="muted">Every table and view of this schema is tracked.</p>
        ) : (
          <>
            <button type="button" disabled={busy !== null} onClick={() => run('track all', () => bulk(untracked.map((t) => ({ type: 'pg_track_table', args: { source: defaultSource, table: t } }))))}>
              Track all
            </button>
            <table className="grid">
              <tbody>
                {untracked.map((t) => (
                  <tr key={t.name}>
                    <td>{t.name}</td>
                    <td>
                      <button type="button" className="small" disabled={busy !== null} aria-label={`Track ${t.name}`} onClick={() => run('track', () => track(t))}>
                        Track
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>
    </div>
  );
}

function TableView({ data, table, tab }: { data: DataState; table: QualifiedTable; tab: string }) {
  const tm = findTable(data.md, table);
  const [error, setError] = useState<unknown>(null);
  if (!tm) {
    const exists = data.sourceTables.some((t) => t.schema === table.schema && t.name === table.name);
    return (
      <div>
        <h1>{qualified(table)}</h1>
        <ErrorMessage error={error} />
        {exists ? (
          <>
            <p>This table is not tracked, so the GraphQL API does not show it.</p>
            <button type="button" onClick={async () => {
              try {
                await metadata('pg_track_table', { source: defaultSource, table });
                await data.reload();
              } catch (e) {
                setError(e);
              }
            }}>
              Track
            </button>
          </>
        ) : (
          <p>There is no table {qualified(table)} in the database.</p>
        )}
      </div>
    );
  }
  return (
    <div>
      <h1>{qualified(table)}</h1>
      <nav className="tabs" aria-label="Table">
        {tabs.map((t) => (
          <Link key={t.id} to={tablePath(table, t.id)} className={tab === t.id ? 'active' : undefined} aria-current={tab === t.id ? 'page' : undefined}>
            {t.name}
          </Link>
        ))}
      </nav>
      {tab === 'browse' && <BrowseRows key={qualified(table)} table={tm} />}
      {tab === 'modify' && <Modify key={qualified(table)} data={data} table={tm} />}
      {tab === 'permissions' && <Permissions key={qualified(table)} data={data} table={tm} />}
      {!tabs.some((t) => t.id === tab) && <ErrorMessage error={new Error(`there is no tab "${tab}"`)} />}
    </div>
  );
}
