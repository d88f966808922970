import { useState } from 'react';
import { decodeJWT, type DecodedJWT } from '../jwt';

export type HeaderRow = { id: number; enabled: boolean; key: string; value: string };

let nextId = 1;
export function newRow(key = '', value = '', enabled = true): HeaderRow {
  return { id: nextId++, enabled, key, value };
}

/** enabledHeaders are the rows that are ticked and have a key. */
export function enabledHeaders(rows: HeaderRow[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rows) if (r.enabled && r.key.trim() !== '') out[r.key.trim()] = r.value;
  return out;
}

const secretKeys = /^x-hasura-(admin-secret|access-key)$/i;

export function HeadersEditor({ rows, onChange }: { rows: HeaderRow[]; onChange: (rows: HeaderRow[]) => void }) {
  const [decoded, setDecoded] = useState<{ id: number; result?: DecodedJWT; error?: string } | null>(null);
  const [shown, setShown] = useState<Set<number>>(new Set());
  const update = (id: number, patch: Partial<HeaderRow>) => onChange(rows.map((r) => (r.id === id ? { ...r, ...patch } : r)));
  const decode = (r: HeaderRow) => {
    try {
      setDecoded({ id: r.id, result: decodeJWT(r.value) });
    } catch (e) {
      setDecoded({ id: r.id, error: e instanceof Error ? e.message : String(e) });
    }
  };
  return (
    <section className="headers" aria-label="Request headers">
      <h2>Request headers</h2>
      <table className="headers-table">
        <thead>
          <tr>
            <th scope="col">
              <span className="visually-hidden">Enabled</span>
            </th>
            <th scope="col">Key</th>
            <th scope="col">Value</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const secret = secretKeys.test(r.key.trim());
            const isAuth = r.key.trim().toLowerCase() === 'authorization';
            return (
              <tr key={r.id} className={r.enabled ? undefined : 'disabled'}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Enable header ${r.key || '(new)'}`}
                    checked={r.enabled}
                    onChange={(e) => update(r.id, { enabled: e.target.checked })}
                  />
                </td>
                <td>
                  <input type="text" aria-label="Key" placeholder="Key" value={r.key} onChange={(e) => update(r.id, { key: e.target.value })} />
                </td>
                <td>
                  <span className="value-cell">
                    <input
                      type={secret && !shown.has(r.id) ? 'password' : 'text'}
                      aria-label="Value"
                      placeholder="Value"
                      value={r.value}
                      onChange={(e) => update(r.id, { value: e.target.value })}
                    />
                    {secret && (
                      <button
                        type="button"
                        className="small"
                        onClick={() => {
                          const s = new Set(shown);
                          if (s.has(r.id)) s.delete(r.id);
                          else s.add(r.id);
                          setShown(s);
                        }}
                      >
                        {shown.has(r.id) ? 'Hide' : 'Show'}
                      </button>
                    )}
                    {isAuth && (
                      <button type="button" className="small" onClick={() => decode(r)}>
                        Decode JWT
                      </button>
                    )}
                  </span>
                </td>
                <td>
                  <button
                    type="button"
                    className="small"
                    aria-label={`Remove header ${r.key || '(new)'}`}
                    onClick={() => {
                      onChange(rows.filter((x) => x.id !== r.id));
                      if (decoded?.id === r.id) setDecoded(null);
                    }}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <button type="button" className="small" onClick={() => onChange([...rows, newRow()])}>
        Add header
      </button>
      {decoded && <JWTPanel decoded={decoded} onClose={() => setDecoded(null)} />}
    </section>
  );
}

function JWTPanel({ decoded, onClose }: { decoded: { result?: DecodedJWT; error?: string }; onClose: () => void }) {
  return (
    <section className="jwt" aria-label="Decoded JWT">
      <div className="jwt-head">
        <h3>Decoded JWT</h3>
        <button type="button" className="small" onClick={onClose}>
          Close
        </button>
      </div>
      {decoded.error && (
        <div className="error" role="alert">
          <strong>Error</strong> <code className="error-code">invalid-jwt</code>: <span className="error-message">{decoded.error}</span>
        </div>
      )}
      {decoded.result && (
        <div className="jwt-parts">
          <div>
            <h4>Header</h4>
            <pre aria-label="JWT header">{JSON.stringify(decoded.result.header, null, 2)}</pre>
          </div>
          <div>
            <h4>Payload</h4>
            <pre aria-label="JWT payload">{JSON.stringify(decoded.result.payload, null, 2)}</pre>
          </div>
          <div>
            <h4>Hasura claims</h4>
            {decoded.result.claims ? (
              <>
                <p className="muted">
                  under <code>{decoded.result.namespace}</code>
                </p>
                <pre aria-label="Hasura claims">{JSON.stringify(decoded.result.claims, null, 2)}</pre>
              </>
            ) : (
              <p className="warning">Hasura claims not found</p>
            )}
          </div>
        </div>
      )}
      <p className="muted">Decoded in the browser; the signature is not checked here, graft checks it on each request.</p>
    </section>
  );
}
