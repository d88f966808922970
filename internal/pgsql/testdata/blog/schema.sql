CREATE TABLE author (
  id serial PRIMARY KEY,
  name text NOT NULL,
  email text,
  rating numeric,
  info jsonb
);
CREATE TABLE article (
  id serial PRIMARY KEY,
  title text NOT NULL,
  content text,
  author_id int NOT NULL REFERENCES author(id),
  is_published boolean NOT NULL DEFAULT false,
  published_on timestamptz,
  views bigint NOT NULL DEFAULT 0,
  tags text[]
);
CREATE FUNCTION author_full_name(a author) RETURNS text LANGUAGE sql STABLE AS $$ SELECT a.name || ' <' || coalesce(a.email, '?') || '>' $$;
CREATE FUNCTION search_articles(search text) RETURNS SETOF article LANGUAGE sql STABLE AS $$ SELECT * FROM article WHERE title ILIKE '%' || search || '%' $$;
INSERT INTO author (name, email, rating, info) VALUES
  ('Ada', 'ada@example.com', 4.5, '{"lang": "en", "tags": ["math"]}'),
  ('Grace', NULL, 3.25, '{"lang": "en"}'),
  ('Linus', 'linus@example.com', NULL, NULL);
INSERT INTO article (title, content, author_id, is_published, published_on, views, tags) VALUES
  ('Notes on the engine', 'c1', 1, true, '2024-01-02T03:04:05Z', 10, '{math,history}'),
  ('Draft', 'c2', 1, false, NULL, 0, NULL),
  ('Compilers', 'c3', 2, true, '2024-02-01T00:00:00Z', 9223372036854775807, '{cs}'),
  ('Kernels', 'c4', 3, true, '2024-03-01T00:00:00Z', 5, '{cs,os}');
