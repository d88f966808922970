CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE place (
  id   int PRIMARY KEY,
  name text NOT NULL,
  loc  geography(Point, 4326) NOT NULL
);
INSERT INTO place VALUES
  (1, 'Brandenburger Tor', 'SRID=4326;POINT(13.3777 52.5163)'),
  (2, 'Reichstag', 'SRID=4326;POINT(13.3761 52.5186)'),
  (3, 'Eiffel Tower', 'SRID=4326;POINT(2.2945 48.8584)');
