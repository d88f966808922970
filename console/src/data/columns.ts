// Column information of a table, read from PostgreSQL's catalog through
// run_sql (read only), and conversion of typed-in text to GraphQL values.

import { runSQL, sqlString } from '../api';
import type { QualifiedTable } from '../metadata';

export type Column = {
  name: string;
  type: string; // format_type, e.g. "integer", "timestamp with time zone"
  category: string; // pg_type.typcategory: N numeric, B boolean, S string, U user, A array, ...
  typname: string;
  nullable: boolean;
  default: string | null;
  primaryKey: boolean;
  generated: boolean; // identity ALWAYS or a generated column
  comment: string | null;
};

export async function fetchColumns(t: QualifiedTable): Promise<Column[]> {
  const rel = `to_regclass(quote_ident(${sqlString(t.schema)}) || '.' || quote_ident(${sqlString(t.name)}))`;
  const sql = `SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typcategory, t.typname,
  (NOT a.attnotnull)::text, pg_get_expr(d.adbin, d.adrelid),
  coalesce(a.attnum = ANY(i.indkey), false)::text,
  (a.attidentity = 'a' OR a.attgenerated <> '')::text,
  col_description(a.attrelid, a.attnum)
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
WHERE a.attrelid = ${rel} AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`;
  const res = await runSQL(sql, { readOnly: true });
  const rows = (res.result ?? []).slice(1);
  return rows.map((r) => ({
    name: r[0] ?? '',
    type: r[1] ?? '',
    category: r[2] ?? '',
    typname: r[3] ?? '',
    nullable: r[4] === 'true',
    default: r[5],
    primaryKey: r[6] === 'true',
    generated: r[7] === 'true',
    comment: r[8],
  }));
}

const intTypes = new Set(['int2', 'int4']);

/** inputValue turns the text typed for a column into a JSON value of the
 * right kind for its GraphQL scalar; it throws on text that cannot be. */
export function inputValue(c: Column, text: string): unknown {
  if (c.category === 'B') {
    const v = text.trim().toLowerCase();
    if (['true', 't', 'yes', '1'].includes(v)) return true;
    if (['false', 'f', 'no', '0'].includes(v)) return false;
    throw new Error(`${c.name}: "${text}" is not a boolean (use true or false)`);
  }
  if (intTypes.has(c.typname)) {
    if (!/^\s*-?\d+\s*$/.test(text)) throw new Error(`${c.name}: "${text}" is not an integer`);
    return Number(text);
  }
  if (c.category === 'N') {
    // bigint, numeric and floats: Hasura's scalars take numbers and strings.
    if (/^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(text) && Number.isSafeInteger(Math.trunc(Number(text)))) {
      return Number(text);
    }
    return text.trim();
  }
  if (c.typname === 'json' || c.typname === 'jsonb' || c.category === 'A') {
    try {
      return JSON.parse(text);
    } catch {
      if (c.category === 'A') return text; // a PostgreSQL array literal such as {1,2}
      throw new Error(`${c.name}: not valid JSON`);
    }
  }
  return text;
}

/** Enum is a GraphQL enum value (asc, desc) inside a [gqlLiteral] value. */
export class Enum {
  constructor(public value: string) {}
}

/** gqlLiteral prints a JSON value as a GraphQL input literal; Enum values
 * print bare. */
export function gqlLiteral(v: unknown): string {
  if (v instanceof Enum) return v.value;
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(gqlLiteral).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k}: ${gqlLiteral(x)}`)
      .join(', ')}}`;
  }
  throw new Error(`cannot print ${typeof v} as GraphQL`);
}

/** display renders a value from a GraphQL result as text in a cell. */
export function display(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** editText is the text a cell's value starts with in an edit form. */
export function editText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
