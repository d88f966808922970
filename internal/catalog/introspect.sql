-- The whole catalog as one JSON document (rawCatalog in introspect.go).
--
-- Note [introspection query shape]:
--  * Every list is flat (the columns, constraints, ... of all relations at
--    once) rather than nested per table, so PostgreSQL runs a few hash joins
--    instead of one correlated subquery per table; Go joins the pieces by OID
--    and sorts them.
--  * Lists are json_agg over a subquery's rows, which is about twice as fast
--    as json_build_object per row.
--  * OIDs are cast to int8 because JSON shows oid values as strings.
--  * Constraint keys are attnums; Go names them from the columns it has (and
--    from refColumns for referenced relations outside the catalog).
--  * Keep the planner's cost estimate low: past jit_above_cost (100 000 by
--    default) PostgreSQL JIT-compiles the query, which costs more than the
--    query itself. Correlated subqueries per row are what inflate it, and
--    the type closure below, hence the array seed.
WITH RECURSIVE
-- Note [system schemas]: pg_catalog, pg_toast, pg_temp_N, pg_toast_temp_N and
-- every other pg_* name (reserved: users cannot create them),
-- information_schema and Hasura's hdb_catalog.
nsp AS (
  SELECT n.oid, n.nspname
  FROM pg_catalog.pg_namespace n
  WHERE n.nspname !~ '^pg_'
    AND n.nspname NOT IN ('information_schema', 'hdb_catalog')
),
rels AS (
  SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltype, d.description,
    -- Note [view updatability]: pg_relation_is_updatable(oid, true) is the
    -- bitmask behind information_schema's is_insertable_into/is_updatable,
    -- counting INSTEAD OF triggers and INSTEAD rules as well as
    -- auto-updatability (8 insert, 4 update, 16 delete).
    CASE WHEN c.relkind IN ('v', 'f') THEN pg_catalog.pg_relation_is_updatable(c.oid, true) END AS events
  FROM pg_catalog.pg_class c
  JOIN nsp n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_description d
    ON d.classoid = 'pg_catalog.pg_class'::regclass AND d.objoid = c.oid AND d.objsubid = 0
  WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p')
),
cols AS (
  SELECT a.attrelid, a.attnum, a.attname, a.atttypid, a.attnotnull, a.atthasdef,
    a.attidentity, a.attgenerated, d.description
  FROM pg_catalog.pg_attribute a
  JOIN rels r ON r.oid = a.attrelid
  LEFT JOIN pg_catalog.pg_description d
    ON d.classoid = 'pg_catalog.pg_class'::regclass AND d.objoid = a.attrelid AND d.objsubid = a.attnum
  WHERE a.attnum > 0 AND NOT a.attisdropped
),
cons AS (
  SELECT c.oid, c.conname, c.contype, c.conrelid, c.conkey, c.confrelid, c.confkey
  FROM pg_catalog.pg_constraint c
  JOIN rels r ON r.oid = c.conrelid
  LEFT JOIN pg_catalog.pg_constraint pc ON pc.oid = c.conparentid
  WHERE c.contype IN ('p', 'u', 'f')
    -- Note [foreign keys to partitioned tables]: a foreign key referencing a
    -- partitioned table gets one internal child constraint per partition on
    -- the same referencing table; only the parent is a real key.
    AND NOT (c.contype = 'f' AND pc.oid IS NOT NULL AND pc.conrelid = c.conrelid)
),
funcs AS (
  SELECT p.oid, n.nspname, p.proname, p.prorettype, p.proretset, p.provolatile,
    p.prokind, p.pronargdefaults, p.proargtypes::pg_catalog.oid[] AS argtypes,
    p.proallargtypes, p.proargmodes, p.proargnames, p.provariadic, d.description
  FROM pg_catalog.pg_proc p
  JOIN nsp n ON n.oid = p.pronamespace
  LEFT JOIN pg_catalog.pg_description d
    ON d.classoid = 'pg_catalog.pg_proc'::regclass AND d.objoid = p.oid AND d.objsubid = 0
  WHERE p.prokind = 'f'
),
-- The types to describe: those referenced by a column or a function, the row
-- types of the relations, and the non-array base, composite, domain and enum
-- types of user schemas ... (an array, so that the planner estimates a
-- handful of rows instead of multiplying guesses through the recursion)
seed AS (
  SELECT ARRAY(
    SELECT atttypid FROM cols
    UNION SELECT reltype FROM rels
    UNION SELECT prorettype FROM funcs
    UNION SELECT pg_catalog.unnest(coalesce(proallargtypes, argtypes)) FROM funcs
    UNION
    SELECT t.oid
    FROM pg_catalog.pg_type t
    JOIN nsp n ON n.oid = t.typnamespace
    LEFT JOIN pg_catalog.pg_class c ON c.oid = t.typrelid
    WHERE t.typtype IN ('b', 'c', 'd', 'e')
      AND NOT (t.typcategory = 'A' AND t.typelem <> 0)
      -- Row types of relations are in already, from rels; standalone
      -- composite types (relkind c) are not.
      AND (t.typrelid = 0 OR c.relkind = 'c')
  ) AS oids
),
-- ... and, transitively, the types those are made of, so that Elem, Base and
-- Fields always resolve. The row types of rels need no expansion: their
-- columns are in the seed.
typs(oid) AS (
  SELECT t.oid FROM pg_catalog.pg_type t WHERE t.oid = ANY ((SELECT oids FROM seed)::pg_catalog.oid[])
  UNION
  SELECT x.oid
  FROM typs s
  JOIN pg_catalog.pg_type t ON t.oid = s.oid
  CROSS JOIN LATERAL (
    SELECT t.typelem WHERE t.typcategory = 'A' AND t.typelem <> 0
    UNION ALL
    SELECT t.typbasetype WHERE t.typtype = 'd'
    UNION ALL
    SELECT a.atttypid
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE t.typtype = 'c' AND c.oid = t.typrelid
      AND NOT (c.relkind IN ('r', 'v', 'm', 'f', 'p') AND c.relnamespace IN (SELECT oid FROM nsp))
    UNION ALL
    SELECT r.rngsubtype FROM pg_catalog.pg_range r WHERE t.typtype = 'r' AND r.rngtypid = t.oid
    UNION ALL
    SELECT r.rngtypid FROM pg_catalog.pg_range r WHERE t.typtype = 'm' AND r.rngmultitypid = t.oid
  ) x(oid)
)
SELECT pg_catalog.json_build_object(
  'tables', (
    SELECT pg_catalog.json_agg(x) FROM (
      SELECT r.oid::int8 AS oid, r.nspname AS schema, r.relname AS name, r.relkind AS kind,
        r.reltype::int8 AS "rowType", r.events, r.description
      FROM rels r) x),
  'columns', (
    SELECT pg_catalog.json_agg(x) FROM (
      SELECT c.attrelid::int8 AS rel, c.attnum AS num, c.attname AS name, c.atttypid::int8 AS type,
        c.attnotnull AS "notNull", c.atthasdef AS "hasDefault", c.attidentity AS identity,
        c.attgenerated AS generated, c.description
      FROM cols c) x),
  'constraints', (
    SELECT pg_catalog.json_agg(x) FROM (
      SELECT c.oid::int8 AS oid, c.conname AS name, c.contype AS type, c.conrelid::int8 AS rel,
        c.conkey AS key, c.confrelid::int8 AS "refRel", rn.nspname AS "refSchema",
        rc.relname AS "refName", c.confkey AS "refKey"
      FROM cons c
      LEFT JOIN pg_catalog.pg_class rc ON rc.oid = c.confrelid
      LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace) x),
  -- The columns of referenced relations that are not in rels (Hasura's
  -- hdb_catalog, for one).
  'refColumns', (
    SELECT pg_catalog.json_agg(x) FROM (
      SELECT a.attrelid::int8 AS rel, a.attnum AS num, a.attname AS name
      FROM pg_catalog.pg_attribute a
      WHERE a.attnum > 0
        AND a.attrelid IN (SELECT confrelid FROM cons WHERE contype = 'f' EXCEPT SELECT oid FROM rels)) x),
  'functions', (
    SELECT pg_catalog.json_agg(x) FROM (
      SELECT f.oid::int8 AS oid, f.nspname AS schema, f.proname AS name,
        f.prorettype::int8 AS "returnType", f.proretset AS "returnsSet",
        f.provolatile AS volatility, f.prokind AS kind, f.pronargdefaults AS "nargDefaults",
        f.argtypes::int8[] AS "argTypes", f.proallargtypes::int8[] AS "allArgTypes",
        f.proargmodes AS "argModes", f.proargnames AS "argNames",
        f.provariadic::int8 AS variadic, f.description
      FROM funcs f) x),
  'types', (
    SELECT pg_catalog.json_agg(x) FROM (
      SELECT t.oid::int8 AS oid, n.nspname AS schema, t.typname AS name, t.typtype AS type,
        t.typcategory AS category,
        -- Note [array types]: int2vector and oidvector have category 'A' and
        -- an element type but are not that type's array type.
        CASE WHEN t.typcategory = 'A' AND e.typarray = t.oid THEN t.typelem::int8 END AS elem,
        t.typbasetype::int8 AS base, t.typrelid::int8 AS rel, d.description
      FROM typs s
      JOIN pg_catalog.pg_type t ON t.oid = s.oid
      JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
      LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem
      LEFT JOIN pg_catalog.pg_description d
        ON d.classoid = 'pg_catalog.pg_type'::regclass AND d.objoid = t.oid AND d.objsubid = 0) x),
  'enumValues', (
    SELECT pg_catalog.json_agg(x ORDER BY x.type, x.sortorder) FROM (
      SELECT e.enumtypid::int8 AS type, e.enumlabel AS label, e.enumsortorder AS sortorder
      FROM typs s
      JOIN pg_catalog.pg_enum e ON e.enumtypid = s.oid) x),
  -- The attributes of composite types that are not the row type of a relation
  -- in rels (those share the relation's columns).
  'fields', (
    SELECT pg_catalog.json_agg(x ORDER BY x.rel, x.num) FROM (
      SELECT a.attrelid::int8 AS rel, a.attnum AS num, a.attname AS name, a.atttypid::int8 AS type,
        a.attnotnull AS "notNull", d.description
      FROM typs s
      JOIN pg_catalog.pg_type t ON t.oid = s.oid AND t.typtype = 'c'
      JOIN pg_catalog.pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN rels r ON r.oid = t.typrelid
      LEFT JOIN pg_catalog.pg_description d
        ON d.classoid = 'pg_catalog.pg_class'::regclass AND d.objoid = a.attrelid AND d.objsubid = a.attnum
      WHERE r.oid IS NULL) x),
  'extensions', (
    SELECT pg_catalog.json_object_agg(x.extname, n.nspname)
    FROM pg_catalog.pg_extension x
    JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace)
)
