CREATE TABLE author (
  id serial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  bio jsonb NOT NULL DEFAULT '{}',
  created_by text
);
CREATE TABLE article (
  id serial PRIMARY KEY,
  title text NOT NULL,
  author_id int NOT NULL REFERENCES author(id),
  views int NOT NULL DEFAULT 0,
  published boolean NOT NULL DEFAULT false
);
CREATE INDEX article_author_id ON article (author_id);
CREATE FUNCTION author_article_count(a author) RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM article WHERE author_id = a.id $$;
INSERT INTO author (name) VALUES ('Ada'), ('Grace');
INSERT INTO article (title, author_id, views, published) VALUES ('One', 1, 10, true), ('Two', 2, 5, false);
CREATE FUNCTION add_article(title text, author int) RETURNS SETOF article LANGUAGE sql VOLATILE AS $$
  INSERT INTO article (title, author_id) VALUES (title, author) RETURNING *
$$;
