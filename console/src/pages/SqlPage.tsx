import { useState, type FormEvent } from 'react';
import { metadata, runSQL, type RunSQLResult } from '../api';
import { ErrorMessage, Link } from '../components';
import { defaultSource, exportMetadata, findTable, qualified, type QualifiedTable } from '../metadata';
import { tablePath } from './DataPage';

const sqlKey = 'graft.sql';

async function sourceTables(): Promise<QualifiedTable[]> {
  return metadata<QualifiedTable[]>('pg_get_source_tables', { source: defaultSource });
}

const key = (t: QualifiedTable) => `${t.schema}.${t.name}`;

export function SqlPage() {
  const [sql, setSql] = useState(() => sessionStorage.getItem(sqlKey) ?? '');
  const [readOnly, setReadOnly] = useState(false);
  const [cascade, setCascade] = useState(false);
  const [offerTrack, setOfferTrack] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<RunSQLResult | null>(null);
  const [created, setCreated] = useState<{ table: QualifiedTable; tracked: boolean }[]>([]);
  const [trackError, setTrackError] = useState<unknown>(null);

  const run = async (ev: FormEvent) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    setResult(null);
    setCreated([]);
    setTrackError(null);
    sessionStorage.setItem(sqlKey, sql);
    try {
      // The tables before and after tell which ones the SQL created.
      const before = offerTrack && !readOnly ? await sourceTables().catch(() => null) : null;
      const res = await runSQL(sql, { readOnly, cascade });
      setResult(res);
      if (before) {
        const seen = new Set(before.map(key));
        const after = await sourceTables();
        const md = await exportMetadata();
        setCreated(after.filter((t) => !seen.has(key(t)) && !findTable(md, t)).map((t) => ({ table: t, tracked: false })));
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const track = async (tables: QualifiedTable[]) => {
    setTrackError(null);
    try {
      await metadata('bulk', tables.map((t) => ({ type: 'pg_track_table', args: { source: defaultSource, table: t } })));
      setCreated(created.map((c) => (tables.some((t) => key(t) === key(c.table)) ? { ...c, tracked: true } : c)));
    } catch (e) {
      setTrackError(e);
    }
  };

  const untracked = created.filter((c) => !c.tracked).map((c) => c.table);

  return (
    <div className="page sql-page">
      <h1>Raw SQL</h1>
      <form onSubmit={run}>
        <label htmlFor="sql">SQL</label>
        <textarea
          id="sql"
          rows={10}
          spellCheck={false}
          value={sql}
          onChange={(e) => setSql(e.target.value)}
          onKeyDown={(e) => {
            if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') run(e);
          }}
          placeholder="SELECT * FROM author;"
        />
        <div className="toolbar">
          <label>
            <input type="checkbox" checked={offerTrack} onChange={(e) => setOfferTrack(e.target.checked)} /> Offer to track tables this SQL creates
          </label>
          <label>
            <input type="checkbox" checked={cascade} onChange={(e) => setCascade(e.target.checked)} /> Cascade metadata
          </label>
          <label>
            <input type="checkbox" checked={readOnly} onChange={(e) => setReadOnly(e.target.checked)} /> Read only
          </label>
          <span className="spacer" />
          <button type="submit" disabled={busy || sql.trim() === ''}>
            {busy ? 'Running…' : 'Run'}
          </button>
        </div>
      </form>
      <ErrorMessage error={error} />
      {created.length > 0 && (
        <section className="track-offer" aria-label="New tables">
          <h2>New tables and views</h2>
          <ErrorMessage error={trackError} />
          <ul>
            {created.map((c) => (
              <li key={key(c.table)}>
                {c.tracked ? (
                  <>
                    <Link to={tablePath(c.table)}>{qualified(c.table)}</Link> is tracked.
                  </>
                ) : (
                  <>
                    {qualified(c.table)}{' '}
                    <button type="button" className="small" aria-label={`Track ${qualified(c.table)}`} onClick={() => track([c.table])}>
                      Track
                    </button>
                  </>
                )}
              </li>
            ))}
          </ul>
          {untracked.length > 1 && (
            <button type="button" onClick={() => track(untracked)}>
              Track all
            </button>
          )}
        </section>
      )}
      {result && <SqlResult result={result} />}
    </div>
  );
}

function SqlResult({ result }: { result: RunSQLResult }) {
  if (result.result_type !== 'TuplesOk' || !result.result) {
    return (
      <p className="notice" role="status">
        SQL executed.
      </p>
    );
  }
  const [header, ...rows] = result.result;
  return (
    <section aria-label="Result">
      <p className="notice" role="status">
        {rows.length} {rows.length === 1 ? 'row' : 'rows'}
      </p>
      <div className="scroll">
        <table className="grid" aria-label="SQL result">
          <thead>
            <tr>
              {header.map((h, i) => (
                <th key={i} scope="col">
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i}>
                {r.map((v, j) => (
                  <td key={j} className={v === null ? 'null' : undefined}>
                    {v === null ? 'NULL' : v}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
