package schemacache

// The catalog queries of a schema cache load. They run in one read-only
// transaction with an empty search_path, so every regclass/format_type
// rendering comes out schema-qualified (as PostgREST's `set local schema ''`).
// $1 is always the exposed schemas as text[]; unlike PostgREST, which reads
// every relation and foreign key of the database and filters in memory, each
// query is restricted to the exposed schemas at the source.

// tablesQuery lists the relations of the exposed schemas with their
// capabilities and primary key columns (sorted by name, as PostgREST).
const tablesQuery = `
SELECT c.oid, n.nspname, c.relname,
       coalesce(d.description, ''),
       c.relkind IN ('v', 'm') AS is_view,
       CASE WHEN c.relkind IN ('r', 'p') THEN 28
            ELSE pg_catalog.pg_relation_is_updatable(c.oid::regclass, true) END AS updatable_mask,
       coalesce((SELECT array_agg(a.attname ORDER BY a.attname)
                 FROM pg_catalog.pg_constraint k
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
                 WHERE k.conrelid = c.oid AND k.contype = 'p'), '{}') AS pk_cols
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p')
  AND NOT c.relispartition
  AND n.nspname = ANY ($1::text[])
ORDER BY n.nspname, c.relname`

// columnsQuery lists the columns of those relations in attnum order.
// Domains are resolved one level to their base type for the reported type
// and enum labels; identity columns report nextval of their sequence, found
// through pg_depend rather than pg_get_serial_sequence, which needs USAGE on
// the schema the authenticator role usually lacks.
const columnsQuery = `
SELECT a.attrelid, a.attname,
       coalesce(d.description, ''),
       NOT (a.attnotnull OR (t.typtype = 'd' AND t.typnotnull)) AS nullable,
       CASE WHEN bt.typnamespace = 'pg_catalog'::regnamespace THEN pg_catalog.format_type(bt.oid, NULL)
            ELSE pg_catalog.format_type(a.atttypid, a.atttypmod) END AS data_type,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS nominal_type,
       information_schema._pg_char_max_length(
         information_schema._pg_truetypid(a.*, t.*),
         information_schema._pg_truetypmod(a.*, t.*))::int4 AS max_len,
       CASE WHEN a.attgenerated = 's' THEN NULL
            WHEN a.attidentity IN ('a', 'd') THEN
              (SELECT 'nextval(' || quote_literal(seq.oid::regclass::text) || '::regclass)'
               FROM pg_catalog.pg_depend dep
               JOIN pg_catalog.pg_class seq ON seq.oid = dep.objid AND seq.relkind = 'S'
               WHERE dep.classid = 'pg_catalog.pg_class'::regclass AND dep.refobjid = c.oid
                 AND dep.refobjsubid = a.attnum AND dep.deptype = 'i')
            ELSE coalesce(pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), t.typdefault) END AS col_default,
       (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder)
        FROM pg_catalog.pg_enum e WHERE e.enumtypid = bt.oid) AS enum_labels
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
JOIN pg_catalog.pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = a.attrelid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped
  AND c.relkind IN ('r', 'v', 'm', 'f', 'p')
  AND NOT c.relispartition
  AND n.nspname = ANY ($1::text[])
ORDER BY a.attrelid, a.attnum`

// foreignKeysQuery lists the foreign keys between relations of the exposed
// schemas (constraints inherited by partitions skipped), with their column
// pairs in key order and whether the FK columns form a PK or UNIQUE key of
// the referencing table (a one-to-one relationship).
const foreignKeysQuery = `
SELECT k.conname,
       n1.nspname, c1.relname, n2.nspname, c2.relname,
       array(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(attnum, i)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum ORDER BY u.i) AS cols,
       array(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY u(attnum, i)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum ORDER BY u.i) AS fcols,
       EXISTS (SELECT 1 FROM pg_catalog.pg_constraint uk
               WHERE uk.conrelid = k.conrelid AND uk.contype IN ('p', 'u')
                 AND uk.conkey @> k.conkey AND uk.conkey <@ k.conkey) AS one_to_one
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_class c1 ON c1.oid = k.conrelid
JOIN pg_catalog.pg_namespace n1 ON n1.oid = c1.relnamespace
JOIN pg_catalog.pg_class c2 ON c2.oid = k.confrelid
JOIN pg_catalog.pg_namespace n2 ON n2.oid = c2.relnamespace
WHERE k.contype = 'f' AND k.conparentid = 0
  AND n1.nspname = ANY ($1::text[]) AND n2.nspname = ANY ($1::text[])
ORDER BY k.conrelid, k.conname`

// routinesQuery lists the functions of the exposed schemas (no procedures,
// aggregates, window or trigger functions) with every argument's name, mode
// and type; which arguments are inputs and whether the function is callable
// is decided in Go.
const routinesQuery = `
SELECT n.nspname, p.proname, coalesce(d.description, ''),
       coalesce(p.proargnames, '{}') AS arg_names,
       coalesce(p.proargmodes::text[], '{}') AS arg_modes,
       array(SELECT pg_catalog.format_type(u.t, NULL)
             FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) WITH ORDINALITY u(t, i) ORDER BY u.i) AS arg_types,
       p.pronargs, p.pronargdefaults,
       p.proretset,
       rn.nspname AS ret_schema,
       coalesce(rc.relname, rt.typname) AS ret_name,
       (rt.typtype = 'c' OR coalesce(p.proargmodes::text[] && '{t,b,o}', false)) AS ret_composite,
       p.provolatile::text,
       p.provariadic <> 0 AS has_variadic
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_type t0 ON t0.oid = p.prorettype
JOIN pg_catalog.pg_type rt ON rt.oid = CASE WHEN t0.typtype = 'd' THEN t0.typbasetype ELSE t0.oid END
JOIN pg_catalog.pg_namespace rn ON rn.oid = rt.typnamespace
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = rt.typrelid AND rt.typtype = 'c'
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = p.oid AND d.classoid = 'pg_catalog.pg_proc'::regclass AND d.objsubid = 0
WHERE p.prokind = 'f'
  AND p.prorettype <> 'pg_catalog.trigger'::regtype
  AND n.nspname = ANY ($1::text[])
ORDER BY n.nspname, p.proname, p.pronargs, p.oid`
