import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { graphql } from '../api';
import { ErrorMessage, Loading } from '../components';
import { graphqlNames, type TableMetadata } from '../metadata';
import { display, editText, Enum, fetchColumns, gqlLiteral, inputValue, type Column } from './columns';

type Filter = { id: number; column: string; op: string; value: string };
type Sort = { column: string; dir: 'asc' | 'desc' } | null;
type Row = Record<string, unknown>;

const operators = [
  { op: '_eq', label: '=' },
  { op: '_neq', label: '≠' },
  { op: '_gt', label: '>' },
  { op: '_gte', label: '≥' },
  { op: '_lt', label: '<' },
  { op: '_lte', label: '≤' },
  { op: '_like', label: 'like' },
  { op: '_ilike', label: 'ilike' },
  { op: '_in', label: 'in (a,b,…)' },
  { op: '_is_null', label: 'is null (true/false)' },
];

let filterId = 1;

/** whereValue converts a filter's text to the operator's argument. */
function whereValue(c: Column, op: string, text: string): unknown {
  if (op === '_is_null') return inputValue({ ...c, category: 'B', typname: 'bool' }, text);
  if (op === '_like' || op === '_ilike') return text;
  if (op === '_in' || op === '_nin') return text.split(',').map((s) => inputValue(c, s.trim()));
  return inputValue(c, text);
}

export function BrowseRows({ table }: { table: TableMetadata }) {
  const names = useMemo(() => graphqlNames(table), [table]);
  const [columns, setColumns] = useState<Column[] | null>(null);
  const [colError, setColError] = useState<unknown>(null);
  const [limit, setLimit] = useState(10);
  const [offset, setOffset] = useState(0);
  const [sort, setSort] = useState<Sort>(null);
  const [draft, setDraft] = useState<Filter[]>([]);
  const [filters, setFilters] = useState<Filter[]>([]);
  const [rows, setRows] = useState<Row[] | null>(null);
  const [count, setCount] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [inserting, setInserting] = useState(false);
  const [editing, setEditing] = useState<number | null>(null);
  const [confirmDelete, setConfirmDelete] = useState<number | null>(null);

  useEffect(() => {
    fetchColumns(table.table).then(setColumns, setColError);
  }, [table.table]);

  const pk = columns?.filter((c) => c.primaryKey) ?? [];

  const where = useCallback((): Record<string, unknown> | null => {
    if (!columns) return null;
    const parts = filters.map((f) => {
      const c = columns.find((x) => x.name === f.column)!;
      return { [names.column(c.name)]: { [f.op]: whereValue(c, f.op, f.value) } };
    });
    if (parts.length === 0) return null;
    return parts.length === 1 ? parts[0] : { _and: parts };
  }, [columns, filters, names]);

  const load = useCallback(async () => {
    if (!columns) return;
    setError(null);
    try {
      const w = where();
      const args = [`limit: ${limit}`, `offset: ${offset}`];
      if (sort) args.push(`order_by: ${gqlLiteral({ [names.column(sort.column)]: new Enum(sort.dir) })}`);
      if (w) args.push(`where: ${gqlLiteral(w)}`);
      const fields = columns.map((c) => names.column(c.name)).join(' ');
      const q = `query BrowseRows {
  rows: ${names.select}(${args.join(', ')}) { ${fields} }
  total: ${names.selectAggregate}${w ? `(where: ${gqlLiteral(w)})` : ''} { aggregate { count } }
}`;
      const res = await graphql<{ rows: Row[]; total: { aggregate: { count: number } } }>(q);
      setRows(res.rows);
      setCount(res.total.aggregate.count);
    } catch (e) {
      setError(e);
    }
  }, [columns, where, limit, offset, sort, names]);

  useEffect(() => {
    load();
  }, [load]);

  if (colError) return <ErrorMessage error={colError} />;
  if (!columns) return <Loading what="columns" />;

  const toggleSort = (c: string) => {
    setOffset(0);
    if (!sort || sort.column !== c) setSort({ column: c, dir: 'asc' });
    else if (sort.dir === 'asc') setSort({ column: c, dir: 'desc' });
    else setSort(null);
  };

  const pkArgs = (row: Row): Record<string, unknown> => Object.fromEntries(pk.map((c) => [names.column(c.name), row[names.column(c.name)]]));
  const pkFields = pk.map((c) => names.column(c.name)).join(' ') || '__typename';

  const mutate = async (what: string, q: string) => {
    setError(null);
    setNotice(null);
    try {
      await graphql(q);
      setNotice(what);
      await load();
      return true;
    } catch (e) {
      setError(e);
      return false;
    }
  };

  const applyFilters = (ev: FormEvent) => {
    ev.preventDefault();
    try {
      // Check the values before running the query.
      for (const f of draft) whereValue(columns.find((c) => c.name === f.column)!, f.op, f.value);
      setOffset(0);
      setFilters(draft.map((f) => ({ ...f })));
    } catch (e) {
      setError(e);
    }
  };

  const from = count === 0 ? 0 : offset + 1;
  const to = offset + (rows?.length ?? 0);

  return (
    <section aria-label="Browse rows">
      <form className="filters" onSubmit={applyFilters} aria-label="Filters">
        {draft.map((f) => (
          <div className="filter-row" key={f.id}>
            <select aria-label="Filter column" value={f.column} onChange={(e) => setDraft(draft.map((x) => (x.id === f.id ? { ...x, column: e.target.value } : x)))}>
              {columns.map((c) => (
                <option key={c.name}>{c.name}</option>
              ))}
            </select>
            <select aria-label="Filter operator" value={f.op} onChange={(e) => setDraft(draft.map((x) => (x.id === f.id ? { ...x, op: e.target.value } : x)))}>
              {operators.map((o) => (
                <option key={o.op} value={o.op}>
                  {o.label}
                </option>
              ))}
            </select>
            <input aria-label="Filter value" value={f.value} onChange={(e) => setDraft(draft.map((x) => (x.id === f.id ? { ...x, value: e.target.value } : x)))} />
            <button type="button" className="small" onClick={() => setDraft(draft.filter((x) => x.id !== f.id))}>
              Remove filter
            </button>
          </div>
        ))}
        <div className="toolbar">
          <button type="button" className="small" onClick={() => setDraft([...draft, { id: filterId++, column: columns[0].name, op: '_eq', value: '' }])}>
            Add filter
          </button>
          <button type="submit" className="small">
            Apply filters
          </button>
          <span className="spacer" />
          <button type="button" onClick={() => setInserting(!inserting)}>
            {inserting ? 'Cancel insert' : 'Insert row'}
          </button>
        </div>
      </form>

      {inserting && (
        <RowForm
          title="Insert row"
          columns={columns}
          onCancel={() => setInserting(false)}
          onSubmit={async (obj) => {
            const ok = await mutate('Row inserted.', `mutation InsertRow { ${names.insertOne}(object: ${gqlLiteral(obj)}) { ${pkFields} } }`);
            if (ok) setInserting(false);
          }}
          names={names}
        />
      )}

      <ErrorMessage error={error} />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {pk.length === 0 && <p className="muted">This table has no primary key: rows can be inserted but not edited or deleted here.</p>}

      {rows === null ? (
        <Loading what="rows" />
      ) : (
        <div className="scroll">
          <table className="grid rows" aria-label="Rows">
            <thead>
              <tr>
                {pk.length > 0 && <th scope="col"><span className="visually-hidden">Actions</span></th>}
                {columns.map((c) => (
                  <th key={c.name} scope="col" aria-sort={sort?.column === c.name ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
                    <button type="button" className="sort" onClick={() => toggleSort(c.name)} title={`Sort by ${c.name}`}>
                      {c.name}
                      {sort?.column === c.name ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}
                    </button>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) =>
                editing === i ? (
                  <tr key={i}>
                    <td colSpan={columns.length + 1}>
                      <RowForm
                        title="Edit row"
                        columns={columns}
                        initial={r}
                        names={names}
                        onCancel={() => setEditing(null)}
                        onSubmit={async (obj) => {
                          const ok = await mutate(
                            'Row saved.',
                            `mutation UpdateRow { ${names.updateByPk}(pk_columns: ${gqlLiteral(pkArgs(r))}, _set: ${gqlLiteral(obj)}) { ${pkFields} } }`,
                          );
                          if (ok) setEditing(null);
                        }}
                      />
                    </td>
                  </tr>
                ) : (
                  <tr key={i}>
                    {pk.length > 0 && (
                      <td className="actions">
                        <button type="button" className="small" onClick={() => { setEditing(i); setConfirmDelete(null); }}>
                          Edit
                        </button>
                        {confirmDelete === i ? (
                          <button type="button" className="small danger" onClick={async () => {
                            setConfirmDelete(null);
                            await mutate('Row deleted.', `mutation DeleteRow { ${names.deleteByPk}(${gqlLiteral(pkArgs(r)).slice(1, -1)}) { ${pkFields} } }`);
                          }}>
                            Confirm delete
                          </button>
                        ) : (
                          <button type="button" className="small" onClick={() => setConfirmDelete(i)}>
                            Delete
                          </button>
                        )}
                      </td>
                    )}
                    {columns.map((c) => {
                      const v = r[names.column(c.name)];
                      return (
                        <td key={c.name} className={v === null ? 'null' : undefined}>
                          {display(v)}
                        </td>
                      );
                    })}
                  </tr>
                ),
              )}
            </tbody>
          </table>
        </div>
      )}
      <div className="pager">
        <button type="button" className="small" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - limit))}>
          Previous page
        </button>
        <span role="status" aria-label="Shown rows">
          {rows ? `Rows ${from}–${to} of ${count ?? '?'}` : ''}
        </span>
        <button type="button" className="small" disabled={count === null || offset + limit >= count} onClick={() => setOffset(offset + limit)}>
          Next page
        </button>
        <label>
          Rows per page{' '}
          <select value={limit} onChange={(e) => { setOffset(0); setLimit(Number(e.target.value)); }}>
            {[5, 10, 20, 50, 100].map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
      </div>
    </section>
  );
}

type Mode = 'value' | 'default' | 'null';

function RowForm({
  title,
  columns,
  initial,
  names,
  onSubmit,
  onCancel,
}: {
  title: string;
  columns: Column[];
  initial?: Row;
  names: ReturnType<typeof graphqlNames>;
  onSubmit: (obj: Record<string, unknown>) => Promise<void>;
  onCancel: () => void;
}) {
  const editable = columns.filter((c) => !c.generated);
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(editable.map((c) => [c.name, initial ? editText(initial[names.column(c.name)]) : ''])),
  );
  const [modes, setModes] = useState<Record<string, Mode>>(() =>
    Object.fromEntries(
      editable.map((c) => {
        if (initial) return [c.name, initial[names.column(c.name)] === null ? 'null' : 'value'];
        return [c.name, c.default !== null ? 'default' : 'value'];
      }),
    ),
  );
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    setError(null);
    const obj: Record<string, unknown> = {};
    try {
      for (const c of editable) {
        const m = modes[c.name];
        const before = initial ? initial[names.column(c.name)] : undefined;
        let v: unknown;
        if (m === 'default') continue; // the column's default, or unchanged
        if (m === 'null') v = null;
        else v = inputValue(c, values[c.name]);
        if (initial && JSON.stringify(v) === JSON.stringify(before)) continue;
        obj[names.column(c.name)] = v;
      }
    } catch (e) {
      setError(e);
      return;
    }
    setBusy(true);
    try {
      await onSubmit(obj);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="row-form" onSubmit={submit} aria-label={title}>
      <h3>{title}</h3>
      <ErrorMessage error={error} />
      <table>
        <tbody>
          {editable.map((c) => (
            <tr key={c.name}>
              <th scope="row">
                <label htmlFor={`field-${title}-${c.name}`}>{c.name}</label>
                <div className="muted">{c.type}</div>
              </th>
              <td>
                <input
                  id={`field-${title}-${c.name}`}
                  value={values[c.name]}
                  disabled={modes[c.name] !== 'value'}
                  onChange={(e) => setValues({ ...values, [c.name]: e.target.value })}
                />
              </td>
              <td>
                <select aria-label={`${c.name} value kind`} value={modes[c.name]} onChange={(e) => setModes({ ...modes, [c.name]: e.target.value as Mode })}>
                  <option value="value">value</option>
                  {c.nullable && <option value="null">NULL</option>}
                  {!initial && c.default !== null && <option value="default">default</option>}
                  {initial && <option value="default">unchanged</option>}
                </select>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="submit" disabled={busy}>
        {initial ? 'Save row' : 'Insert'}
      </button>{' '}
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}
