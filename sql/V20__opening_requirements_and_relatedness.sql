-- What an opening asks beyond the trade, and which trades can stand in for which.

-- NULL means "not stated": the ranking then reads the title's and description's words
-- (持证上岗, 有证优先, 三年以上, 熟手, 学徒...). An explicit value always wins over the words.
ALTER TABLE openings
    ADD COLUMN min_years_experience real CHECK (min_years_experience BETWEEN 0 AND 50),
    ADD COLUMN certificate text CHECK (certificate IN ('required', 'preferred', 'none')),
    -- true: match the chosen codes only, never the trade read from the title.
    ADD COLUMN pin_occupations boolean NOT NULL DEFAULT false;

-- Reviewed seed data (sql/seed/occupation_relatedness.csv): how well a worker of from_code can
-- do a job of to_code. fit 0 records a deliberate "not a stand-in".
CREATE TABLE occupation_relatedness (
    from_code  text NOT NULL REFERENCES occupations (code),
    to_code    text NOT NULL REFERENCES occupations (code),
    fit        real NOT NULL CHECK (fit >= 0 AND fit < 1),
    reason     text NOT NULL,
    source     text NOT NULL,
    PRIMARY KEY (from_code, to_code),
    CHECK (from_code <> to_code)
);
