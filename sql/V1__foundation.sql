-- Reference data: national administrative divisions and the CSCO 2022 occupations.
-- Loaded from sql/seed/*.csv at start-up (idempotently, see src/db/seed.rs).

CREATE TABLE regions (
    code        text PRIMARY KEY CHECK (code ~ '^[0-9]{6}$'),
    name        text NOT NULL,
    parent_code text,
    level       smallint NOT NULL CHECK (level BETWEEN 1 AND 3),
    short_name  text NOT NULL DEFAULT '',
    full_name   text NOT NULL DEFAULT '',
    pinyin      text NOT NULL DEFAULT ''
);
CREATE INDEX regions_parent_idx ON regions (parent_code);

CREATE TABLE occupations (
    code       text PRIMARY KEY CHECK (code ~ '^[0-9]-[0-9]{2}-[0-9]{2}-[0-9]{2}$'),
    level      smallint NOT NULL CHECK (level BETWEEN 1 AND 4),
    name       text NOT NULL,
    -- 'S' digital, 'L' green occupation markers from the source.
    markers    text NOT NULL DEFAULT '',
    aliases    text[] NOT NULL DEFAULT '{}',
    definition text NOT NULL DEFAULT '',
    tasks      text NOT NULL DEFAULT ''
);
CREATE INDEX occupations_level_idx ON occupations (level);

CREATE TABLE seed_state (
    name      text PRIMARY KEY,
    digest    text NOT NULL,
    rows      integer NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);
