-- The year's targets: per county and year, the people to lift above the monitoring line
-- through employment and the workers to place, set by an admin. Progress is computed from the
-- outcome statistics (never stored), so it cannot drift from them.
CREATE TABLE county_targets (
    county_code           text NOT NULL REFERENCES regions (code),
    year                  integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    people_out_of_poverty integer NOT NULL CHECK (people_out_of_poverty BETWEEN 0 AND 10000000),
    workers_to_place      integer NOT NULL CHECK (workers_to_place BETWEEN 0 AND 10000000),
    set_by                bigint,
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, year)
);
CREATE INDEX county_targets_year_idx ON county_targets (year);
