import { useEffect, useState, type FormEvent } from 'react';
import { bulk } from '../api';
import { ErrorMessage, Loading } from '../components';
import {
  allRoles,
  defaultSource,
  tableRef,
  type BoolExp,
  type DeletePermission,
  type InsertPermission,
  type SelectPermission,
  type TableMetadata,
  type UpdatePermission,
} from '../metadata';
import type { DataState } from '../pages/DataPage';
import { fetchColumns, type Column } from './columns';

export const actions = ['insert', 'select', 'update', 'delete'] as const;
export type Action = (typeof actions)[number];
type AnyPermission = InsertPermission | SelectPermission | UpdatePermission | DeletePermission;
export type Access = 'full' | 'partial' | 'none';

function permissionOf(t: TableMetadata, role: string, action: Action): AnyPermission | undefined {
  return (t[`${action}_permissions`] as { role: string; permission: AnyPermission }[] | undefined)?.find((p) => p.role === role)?.permission;
}

const isEmpty = (e: BoolExp | null | undefined) => !e || Object.keys(e).length === 0;

function allColumns(cols: string[] | '*' | undefined, columns: Column[]): boolean {
  if (cols === '*') return true;
  if (!cols) return false;
  return columns.every((c) => cols.includes(c.name));
}

/** access says how much a permission allows, as Hasura's console shows it:
 * full when no row filter or check limits it and it covers every column. */
export function access(p: AnyPermission | undefined, action: Action, columns: Column[]): Access {
  if (!p) return 'none';
  switch (action) {
    case 'select': {
      const s = p as SelectPermission;
      return isEmpty(s.filter) && allColumns(s.columns, columns) && s.limit == null ? 'full' : 'partial';
    }
    case 'insert': {
      const s = p as InsertPermission;
      return isEmpty(s.check) && allColumns(s.columns, columns) ? 'full' : 'partial';
    }
    case 'update': {
      const s = p as UpdatePermission;
      return isEmpty(s.filter) && isEmpty(s.check) && allColumns(s.columns, columns) ? 'full' : 'partial';
    }
    case 'delete':
      return isEmpty((p as DeletePermission).filter) ? 'full' : 'partial';
  }
}

const accessText: Record<Access, string> = { full: 'full', partial: 'partial', none: 'none' };

export function Permissions({ data, table }: { data: DataState; table: TableMetadata }) {
  const t = tableRef(table.table);
  const [columns, setColumns] = useState<Column[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [extraRoles, setExtraRoles] = useState<string[]>([]);
  const [newRole, setNewRole] = useState('');
  const [open, setOpen] = useState<{ role: string; action: Action } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    fetchColumns(t).then(setColumns, setError);
  }, [t.schema, t.name]);

  if (error && !columns) return <ErrorMessage error={error} />;
  if (!columns) return <Loading what="columns" />;

  const roles = [...new Set([...allRoles(data.md), ...extraRoles])].sort();

  const addRole = (ev: FormEvent) => {
    ev.preventDefault();
    const r = newRole.trim();
    if (r === '' || r === 'admin') return;
    setExtraRoles([...extraRoles, r]);
    setNewRole('');
    setOpen({ role: r, action: 'select' });
  };

  return (
    <div className="permissions">
      <table className="grid matrix" aria-label="Permissions">
        <thead>
          <tr>
            <th scope="col">Role</th>
            {actions.map((a) => (
              <th scope="col" key={a}>
                {a}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">admin</th>
            {actions.map((a) => (
              <td key={a} className="access-full" aria-label={`admin ${a}: full`}>
                <span className="access-mark" aria-hidden="true">
                  ✔
                </span>{' '}
                full
              </td>
            ))}
          </tr>
          {roles.map((role) => (
            <tr key={role}>
              <th scope="row">{role}</th>
              {actions.map((a) => {
                const acc = access(permissionOf(table, role, a), a, columns);
                const isOpen = open?.role === role && open.action === a;
                return (
                  <td key={a} className={`access-${acc}${isOpen ? ' open' : ''}`}>
                    <button
                      type="button"
                      className="cell"
                      aria-label={`${role} ${a}: ${accessText[acc]}`}
                      aria-expanded={isOpen}
                      onClick={() => {
                        setNotice(null);
                        setOpen(isOpen ? null : { role, action: a });
                      }}
                    >
                      <span className="access-mark" aria-hidden="true">
                        {acc === 'full' ? '✔' : acc === 'partial' ? '◐' : '✖'}
                      </span>{' '}
                      {accessText[acc]}
                    </button>
                  </td>
                );
              })}
            </tr>
          ))}
          <tr>
            <td colSpan={5}>
              <form onSubmit={addRole} className="inline">
                <input aria-label="New role" placeholder="New role" value={newRole} onChange={(e) => setNewRole(e.target.value)} />
                <button type="submit" className="small" disabled={newRole.trim() === ''}>
                  Add role
                </button>
              </form>
            </td>
          </tr>
        </tbody>
      </table>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {open && (
        <PermissionEditor
          key={`${open.role}/${open.action}`}
          table={table}
          role={open.role}
          action={open.action}
          columns={columns}
          existing={permissionOf(table, open.role, open.action)}
          onClose={() => setOpen(null)}
          onSaved={async (msg) => {
            await data.reload();
            setNotice(msg);
          }}
        />
      )}
    </div>
  );
}

type Preset = { column: string; value: string };

function PermissionEditor({
  table,
  role,
  action,
  columns,
  existing,
  onClose,
  onSaved,
}: {
  table: TableMetadata;
  role: string;
  action: Action;
  columns: Column[];
  existing: AnyPermission | undefined;
  onClose: () => void;
  onSaved: (msg: string) => Promise<void>;
}) {
  const t = tableRef(table.table);
  const ex = (existing ?? {}) as Partial<SelectPermission & InsertPermission & UpdatePermission>;
  const hasColumns = action !== 'delete';
  const hasFilter = action !== 'insert';
  const hasCheck = action === 'insert' || action === 'update';
  const hasPresets = action === 'insert' || action === 'update';
  const initialCols = ex.columns === '*' ? columns.map((c) => c.name) : (ex.columns ?? []);

  const [cols, setCols] = useState<string[]>(existing ? initialCols : columns.map((c) => c.name));
  const [filter, setFilter] = useState(JSON.stringify(ex.filter ?? {}, null, 2));
  const [check, setCheck] = useState(JSON.stringify(ex.check ?? {}, null, 2));
  const [limit, setLimit] = useState(ex.limit != null ? String(ex.limit) : '');
  const [aggregations, setAggregations] = useState(!!ex.allow_aggregations);
  const [presets, setPresets] = useState<Preset[]>(Object.entries(ex.set ?? {}).map(([column, value]) => ({ column, value: typeof value === 'string' ? value : JSON.stringify(value) })));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const parseJSON = (what: string, text: string): BoolExp => {
    let v: unknown;
    try {
      v = text.trim() === '' ? {} : JSON.parse(text);
    } catch (e) {
      throw new Error(`${what} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${what} must be a JSON object (a boolean expression such as {"id":{"_eq":"X-Hasura-User-Id"}})`);
    return v as BoolExp;
  };

  const build = (): Record<string, unknown> => {
    const p: Record<string, unknown> = {};
    if (hasColumns) p.columns = cols.length === columns.length ? '*' : columns.map((c) => c.name).filter((c) => cols.includes(c));
    if (hasFilter) p.filter = parseJSON('The row filter', filter);
    if (hasCheck) p.check = parseJSON(action === 'insert' ? 'The row check' : 'The post-update check', check);
    if (hasPresets && presets.length > 0) {
      p.set = Object.fromEntries(presets.filter((x) => x.column !== '').map((x) => [x.column, x.value]));
    }
    if (action === 'select') {
      if (limit.trim() !== '') {
        const n = Number(limit);
        if (!Number.isInteger(n) || n < 0) throw new Error('The limit must be a whole number of rows');
        p.limit = n;
      }
      p.allow_aggregations = aggregations;
    }
    // Keep what the editor does not show (computed fields, root fields, backend_only).
    for (const k of ['computed_fields', 'query_root_fields', 'subscription_root_fields', 'backend_only', 'validate_input'] as const) {
      if (existing && k in existing) p[k] = (existing as Record<string, unknown>)[k];
    }
    return p;
  };

  const save = async (ev: FormEvent) => {
    ev.preventDefault();
    setError(null);
    let permission;
    try {
      permission = build();
    } catch (e) {
      setError(e);
      return;
    }
    setBusy(true);
    const args = { source: defaultSource, table: t, role };
    const cmds = [];
    if (existing) cmds.push({ type: `pg_drop_${action}_permission`, args });
    cmds.push({ type: `pg_create_${action}_permission`, args: { ...args, permission } });
    try {
      await bulk(cmds);
      await onSaved(`Saved the ${action} permission of role ${role}.`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await bulk([{ type: `pg_drop_${action}_permission`, args: { source: defaultSource, table: t, role } }]);
      await onSaved(`Removed the ${action} permission of role ${role}.`);
      onClose();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="perm-editor" onSubmit={save} aria-label={`Permission editor: ${role} ${action}`}>
      <div className="jwt-head">
        <h2>
          {action} permission of role <em>{role}</em>
        </h2>
        <button type="button" className="small" onClick={onClose}>
          Close
        </button>
      </div>
      <ErrorMessage error={error} />
      {hasFilter && (
        <fieldset>
          <legend>Row filter</legend>
          <p className="muted">
            A boolean expression over the table's columns; <code>{'{}'}</code> allows every row. Session variables such as <code>X-Hasura-User-Id</code> may stand for values.
          </p>
          <button type="button" className="small" onClick={() => setFilter('{}')}>
            Without any checks
          </button>
          <textarea aria-label="Row filter" rows={5} value={filter} onChange={(e) => setFilter(e.target.value)} spellCheck={false} />
        </fieldset>
      )}
      {hasCheck && (
        <fieldset>
          <legend>{action === 'insert' ? 'Row check' : 'Post-update check'}</legend>
          <p className="muted">A boolean expression each {action === 'insert' ? 'inserted' : 'updated'} row must satisfy.</p>
          <button type="button" className="small" onClick={() => setCheck('{}')}>
            Without any checks
          </button>
          <textarea aria-label={action === 'insert' ? 'Row check' : 'Post-update check'} rows={5} value={check} onChange={(e) => setCheck(e.target.value)} spellCheck={false} />
        </fieldset>
      )}
      {hasColumns && (
        <fieldset>
          <legend>Columns</legend>
          <button type="button" className="small" onClick={() => setCols(cols.length === columns.length ? [] : columns.map((c) => c.name))}>
            Toggle all
          </button>
          <div className="checks">
            {columns.map((c) => (
              <label key={c.name}>
                <input
                  type="checkbox"
                  checked={cols.includes(c.name)}
                  onChange={(e) => setCols(e.target.checked ? [...cols, c.name] : cols.filter((x) => x !== c.name))}
                />{' '}
                {c.name}
              </label>
            ))}
          </div>
        </fieldset>
      )}
      {hasPresets && (
        <fieldset>
          <legend>Column presets</legend>
          <p className="muted">Values set by graft, such as <code>X-Hasura-User-Id</code> for a session variable.</p>
          {presets.map((p, i) => (
            <div key={i} className="filter-row">
              <select aria-label="Preset column" value={p.column} onChange={(e) => setPresets(presets.map((x, j) => (j === i ? { ...x, column: e.target.value } : x)))}>
                <option value="">(column)</option>
                {columns.map((c) => (
                  <option key={c.name}>{c.name}</option>
                ))}
              </select>
              <input aria-label="Preset value" value={p.value} onChange={(e) => setPresets(presets.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))} />
              <button type="button" className="small" onClick={() => setPresets(presets.filter((_, j) => j !== i))}>
                Remove preset
              </button>
            </div>
          ))}
          <button type="button" className="small" onClick={() => setPresets([...presets, { column: '', value: '' }])}>
            Add preset
          </button>
        </fieldset>
      )}
      {action === 'select' && (
        <fieldset>
          <legend>Rows and aggregations</legend>
          <label>
            Limit{' '}
            <input type="number" min={0} value={limit} onChange={(e) => setLimit(e.target.value)} placeholder="no limit" />
          </label>
          <label>
            <input type="checkbox" checked={aggregations} onChange={(e) => setAggregations(e.target.checked)} /> Allow aggregation queries
          </label>
        </fieldset>
      )}
      <div className="toolbar">
        <button type="submit" disabled={busy}>
          Save permissions
        </button>
        {existing && (
          <button type="button" className="danger" disabled={busy} onClick={remove}>
            Delete permissions
          </button>
        )}
      </div>
    </form>
  );
}
