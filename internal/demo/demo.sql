-- The demo data set of graft: a small blog. Applied when graft starts with
-- no database configured; it does nothing when table public.author exists.
DO $graft_demo$
BEGIN
  -- Two graft processes starting on one fresh database take turns.
  PERFORM pg_advisory_xact_lock(hashtext('graft demo data set'));
  IF to_regclass('public.author') IS NOT NULL THEN
    RETURN;
  END IF;

  CREATE TABLE public.author (
    id         serial PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz DEFAULT now(),
    user_id    uuid UNIQUE
  );
  COMMENT ON TABLE public.author IS 'People who write articles';
  COMMENT ON COLUMN public.author.user_id IS 'The signed-in user (auth.users.id) who writes as this author; NULL for the sample authors';

  CREATE TABLE public.article (
    id           serial PRIMARY KEY,
    title        text NOT NULL,
    content      text,
    author_id    int NOT NULL REFERENCES public.author (id),
    is_published bool DEFAULT false,
    published_on timestamptz,
    rating       int
  );
  COMMENT ON TABLE public.article IS 'Articles, published or draft';
  CREATE INDEX article_author_id_idx ON public.article (author_id);

  CREATE TABLE public.tag (
    id   serial PRIMARY KEY,
    name text UNIQUE NOT NULL
  );
  COMMENT ON TABLE public.tag IS 'Topics an article can be tagged with';

  CREATE TABLE public.article_tag (
    article_id int REFERENCES public.article (id) ON DELETE CASCADE,
    tag_id     int REFERENCES public.tag (id) ON DELETE CASCADE,
    PRIMARY KEY (article_id, tag_id)
  );
  COMMENT ON TABLE public.article_tag IS 'Which tags each article has';
  CREATE INDEX article_tag_tag_id_idx ON public.article_tag (tag_id);

  -- The tables are new, so the ids below are 1, 2, 3, ... in order.
  INSERT INTO public.author (name, created_at) VALUES
    ('Ada Lovelace',     '2024-01-08 09:00:00+00'),
    ('Alan Turing',      '2024-01-09 10:30:00+00'),
    ('Grace Hopper',     '2024-01-10 14:15:00+00'),
    ('Edsger Dijkstra',  '2024-01-11 08:45:00+00');

  INSERT INTO public.article (title, content, author_id, is_published, published_on, rating) VALUES
    ('Notes on the Analytical Engine',
     'The engine weaves algebraic patterns just as the Jacquard loom weaves flowers and leaves. These notes describe how it could compute Bernoulli numbers, step by step.',
     1, true, '1843-09-01 00:00:00+00', 5),
    ('On Computable Numbers',
     'A number is computable if a machine with a finite table of instructions can write down its digits one after another. Not every number is.',
     2, true, '1936-11-12 00:00:00+00', 5),
    ('Computing Machinery and Intelligence',
     'Can machines think? Rather than define thinking, consider a game of imitation played over a teleprinter.',
     2, true, '1950-10-01 00:00:00+00', 4),
    ('The Education of a Computer',
     'A library of subroutines, called by name and put together by the machine itself, lets the programmer state the problem instead of the steps.',
     3, true, '1952-05-02 00:00:00+00', 4),
    ('Go To Statement Considered Harmful',
     'The quality of programmers is a decreasing function of the density of go to statements in the programs they produce.',
     4, true, '1968-03-01 00:00:00+00', 5),
    ('The Humble Programmer',
     'The competent programmer is fully aware of the strictly limited size of his own skull, and approaches the programming task in full humility.',
     4, true, '1972-08-14 00:00:00+00', 4),
    ('Nanoseconds, Explained with Wire',
     'Draft: a foot of wire is how far light travels in a nanosecond. Hand one to every admiral who asks why satellite messages take so long.',
     3, false, NULL, NULL),
    ('Thinking Machines, Revisited',
     'Draft: twenty years on, which of the objections to machine intelligence still stand?',
     2, false, NULL, NULL),
    ('A Discipline of Programming',
     'Draft: programs should be derived together with their proofs of correctness, not tested into them afterwards.',
     4, false, NULL, NULL);

  INSERT INTO public.tag (name) VALUES
    ('history'), ('theory'), ('programming'), ('artificial intelligence'), ('languages');

  INSERT INTO public.article_tag (article_id, tag_id) VALUES
    (1, 1), (1, 3),
    (2, 2), (2, 1),
    (3, 4), (3, 2),
    (4, 5), (4, 3),
    (5, 3), (5, 5),
    (6, 3),
    (7, 1),
    (8, 4),
    (9, 2), (9, 3);
END
$graft_demo$;
