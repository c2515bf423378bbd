-- Relationships through views and computed relationships: api is exposed,
-- private holds the tables most views expose.
CREATE SCHEMA api;
CREATE SCHEMA private;

CREATE TABLE private.authors (id integer PRIMARY KEY, name text);
CREATE TABLE private.books (
  id        integer PRIMARY KEY,
  author_id integer REFERENCES private.authors,
  title     text
);

-- Views of a private schema, columns renamed: view-to-view relationships.
CREATE VIEW api.writers AS SELECT id AS writer_id, name FROM private.authors;
CREATE VIEW api.titles AS SELECT title, author_id AS writer, id FROM private.books;
-- A view of a view: keys resolve through the chain.
CREATE VIEW api.recent_titles AS SELECT writer, id AS title_id FROM api.titles WHERE id > 1;
-- Not analysable: set operations hide where columns come from.
CREATE VIEW api.all_ids AS SELECT id FROM private.authors UNION SELECT id FROM private.books;
-- The FK column exposed twice: one relationship per column.
CREATE VIEW api.titles_dup AS SELECT id, author_id AS a1, author_id AS a2 FROM private.books;
-- A subquery and a sort column not in the output: the top-level target list counts.
CREATE VIEW api.sorted_writers AS
  SELECT w.id AS "odd {name} (x)", (SELECT count(*) FROM private.books) AS n
  FROM (SELECT id, name FROM private.authors ORDER BY name) w ORDER BY w.name;
CREATE MATERIALIZED VIEW api.writer_stats AS
  SELECT author_id, count(*) AS books FROM private.books GROUP BY author_id;

-- Composite primary key declared (lang, isbn): a view lends it in key order.
CREATE TABLE api.editions (lang text, isbn text, PRIMARY KEY (lang, isbn));
CREATE VIEW api.editions_v AS SELECT isbn AS code, lang AS language FROM api.editions;
-- Only part of the key exposed: no primary key.
CREATE VIEW api.isbns AS SELECT isbn FROM api.editions;

-- Exposed tables referencing a private one: table-to-view relationships,
-- and a junction between a view and a table.
CREATE TABLE api.tags (id integer PRIMARY KEY, label text);
CREATE TABLE api.book_tags (
  book_id integer REFERENCES private.books,
  tag_id  integer REFERENCES api.tags,
  PRIMARY KEY (book_id, tag_id)
);

-- Computed relationships.
CREATE FUNCTION api.first_title(api.writers) RETURNS SETOF api.titles ROWS 1
  LANGUAGE sql STABLE AS $$ SELECT * FROM api.titles WHERE writer = $1.writer_id ORDER BY id LIMIT 1 $$;
CREATE FUNCTION api.all_titles(api.writers) RETURNS SETOF api.titles
  LANGUAGE sql STABLE AS $$ SELECT * FROM api.titles WHERE writer = $1.writer_id $$;
CREATE FUNCTION api.author(api.titles) RETURNS api.writers
  LANGUAGE sql STABLE AS $$ SELECT * FROM api.writers WHERE writer_id = $1.writer $$;
CREATE FUNCTION api.sequels(api.titles) RETURNS SETOF api.titles
  LANGUAGE sql STABLE AS $$ SELECT * FROM api.titles WHERE id > $1.id $$;
-- Named as a relation: replaces the two FK relationships titles_dup has to writers.
CREATE FUNCTION api.writers(api.titles_dup) RETURNS SETOF api.writers ROWS 1
  LANGUAGE sql STABLE AS $$ SELECT * FROM api.writers WHERE writer_id = $1.a1 $$;
-- Not computed relationships: two arguments, a scalar result, a hidden schema.
CREATE FUNCTION api.two_args(api.writers, integer) RETURNS SETOF api.titles
  LANGUAGE sql STABLE AS $$ SELECT * FROM api.titles $$;
CREATE FUNCTION api.title_count(api.writers) RETURNS bigint
  LANGUAGE sql STABLE AS $$ SELECT count(*) FROM api.titles WHERE writer = $1.writer_id $$;
CREATE FUNCTION private.hidden(api.writers) RETURNS SETOF api.titles
  LANGUAGE sql STABLE AS $$ SELECT * FROM api.titles $$;
