CREATE TABLE article (
  id int PRIMARY KEY,
  title text NOT NULL,
  body text,
  author_id int NOT NULL,
  rating int,
  published boolean NOT NULL
);
INSERT INTO article VALUES
  (1, 'B', 'b1', 1, 2, true),
  (2, 'A', 'b2', 2, 1, false),
  (3, 'A', 'b3', 2, 3, true);
