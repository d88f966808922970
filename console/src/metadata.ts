// Types and helpers for the parts of Hasura's v2 metadata the console
// reads (export_metadata) and writes (pg_* commands).

import { metadata } from './api';

export type QualifiedTable = { schema: string; name: string };
export type BoolExp = Record<string, unknown>;

export type SelectPermission = {
  columns: string[] | '*';
  filter?: BoolExp;
  limit?: number;
  allow_aggregations?: boolean;
  computed_fields?: string[];
  query_root_fields?: string[];
  subscription_root_fields?: string[];
};
export type InsertPermission = { check?: BoolExp; columns?: string[] | '*'; set?: Record<string, unknown>; backend_only?: boolean };
export type UpdatePermission = { columns: string[] | '*'; filter?: BoolExp; check?: BoolExp | null; set?: Record<string, unknown>; backend_only?: boolean };
export type DeletePermission = { filter?: BoolExp; backend_only?: boolean };

export type PermissionEntry<P> = { role: string; permission: P; comment?: string };

export type Relationship = { name: string; using: unknown; comment?: string };

export type TableMetadata = {
  table: QualifiedTable;
  configuration?: {
    custom_name?: string;
    custom_root_fields?: Record<string, string | { name?: string } | null>;
    column_config?: Record<string, { custom_name?: string }>;
    custom_column_names?: Record<string, string>;
  };
  object_relationships?: Relationship[];
  array_relationships?: Relationship[];
  insert_permissions?: PermissionEntry<InsertPermission>[];
  select_permissions?: PermissionEntry<SelectPermission>[];
  update_permissions?: PermissionEntry<UpdatePermission>[];
  delete_permissions?: PermissionEntry<DeletePermission>[];
};

export type Source = { name: string; kind?: string; tables: TableMetadata[] };
export type Metadata = { version: number; sources?: Source[]; inherited_roles?: { role_name: string }[] };

export const defaultSource = 'default';

export async function exportMetadata(): Promise<Metadata> {
  return metadata<Metadata>('export_metadata', {});
}

/** sourceTables lists the tables of source "default" in the metadata. */
export function trackedTables(md: Metadata | null): TableMetadata[] {
  const src = md?.sources?.find((s) => s.name === defaultSource);
  return src?.tables ?? [];
}

export function sameTable(a: QualifiedTable, b: QualifiedTable): boolean {
  return a.schema === b.schema && a.name === b.name;
}

/** tableName reads a table reference: "name" or {schema, name}. */
export function tableRef(t: unknown): QualifiedTable {
  if (typeof t === 'string') return { schema: 'public', name: t };
  const o = t as { schema?: string; name: string };
  return { schema: o.schema ?? 'public', name: o.name };
}

export function findTable(md: Metadata | null, t: QualifiedTable): TableMetadata | undefined {
  return trackedTables(md).find((x) => sameTable(tableRef(x.table), t));
}

export function qualified(t: QualifiedTable): string {
  return t.schema === 'public' ? t.name : `${t.schema}.${t.name}`;
}

/** roles lists every role that has a permission on some table, sorted. */
export function allRoles(md: Metadata | null): string[] {
  const set = new Set<string>();
  for (const t of trackedTables(md)) {
    for (const k of ['insert_permissions', 'select_permissions', 'update_permissions', 'delete_permissions'] as const) {
      for (const p of t[k] ?? []) set.add(p.role);
    }
  }
  for (const r of md?.inherited_roles ?? []) set.add(r.role_name);
  set.delete('admin');
  return [...set].sort();
}

function customRoot(t: TableMetadata, key: string): string | undefined {
  const v = t.configuration?.custom_root_fields?.[key];
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && v.name) return v.name;
  return undefined;
}

/** GraphQLNames are the admin root fields and column names of a table
 * (hasura-default naming convention). */
export type GraphQLNames = {
  select: string;
  selectAggregate: string;
  insertOne: string;
  updateByPk: string;
  deleteByPk: string;
  column(c: string): string;
};

export function graphqlNames(t: TableMetadata): GraphQLNames {
  const q = tableRef(t.table);
  const base = t.configuration?.custom_name ?? (q.schema === 'public' ? q.name : `${q.schema}_${q.name}`);
  const cc = t.configuration?.column_config ?? {};
  const legacy = t.configuration?.custom_column_names ?? {};
  return {
    select: customRoot(t, 'select') ?? base,
    selectAggregate: customRoot(t, 'select_aggregate') ?? `${base}_aggregate`,
    insertOne: customRoot(t, 'insert_one') ?? `insert_${base}_one`,
    updateByPk: customRoot(t, 'update_by_pk') ?? `update_${base}_by_pk`,
    deleteByPk: customRoot(t, 'delete_by_pk') ?? `delete_${base}_by_pk`,
    column: (c: string) => cc[c]?.custom_name ?? legacy[c] ?? c,
  };
}
