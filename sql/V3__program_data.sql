-- Program data: households, workers and their skills, courses and enrollments, openings;
-- the outbox feeding the search index; idempotency keys.

CREATE TABLE households (
    id                  bigserial PRIMARY KEY,
    registry_number     text NOT NULL UNIQUE,
    county_code         text NOT NULL REFERENCES regions (code),
    village             text NOT NULL,
    member_count        integer NOT NULL CHECK (member_count BETWEEN 1 AND 30),
    status              text NOT NULL CHECK (status IN ('registered_poor', 'monitored', 'exited', 'other')),
    -- Annual per-capita income in yuan, and when it was assessed.
    income_per_capita   integer CHECK (income_per_capita >= 0),
    income_assessed_on  date,
    -- Household income not from placed members (farming, subsidies...), yuan per year.
    other_income_yuan   integer NOT NULL DEFAULT 0 CHECK (other_income_yuan >= 0),
    version             integer NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX households_county_idx ON households (county_code, id);

CREATE TABLE workers (
    id                bigserial PRIMARY KEY,
    account_id        bigint UNIQUE REFERENCES accounts (id),
    household_id      bigint REFERENCES households (id),
    name              text NOT NULL,
    gender            text NOT NULL CHECK (gender IN ('male', 'female', 'other')),
    birth_year        integer NOT NULL,
    ethnicity         text NOT NULL DEFAULT '',
    languages         text[] NOT NULL DEFAULT '{zh}',
    education         text NOT NULL DEFAULT 'unknown',
    phone             text UNIQUE,
    id_number         text UNIQUE,
    home_region       text NOT NULL REFERENCES regions (code),
    -- Accepted destinations (any level); empty with accept_anywhere = true means anywhere.
    destinations      text[] NOT NULL DEFAULT '{}',
    accept_anywhere   boolean NOT NULL DEFAULT false,
    min_wage          integer NOT NULL DEFAULT 0 CHECK (min_wage >= 0),
    available_from    date,
    brand_tags        text[] NOT NULL DEFAULT '{}',
    status            text NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'placed', 'unavailable')),
    version           integer NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workers_home_idx ON workers (home_region, id);
CREATE INDEX workers_household_idx ON workers (household_id);

CREATE TABLE courses (
    id                 bigserial PRIMARY KEY,
    center_id          bigint NOT NULL REFERENCES organizations (id),
    title              text NOT NULL,
    occupation_codes   text[] NOT NULL,
    hours              integer NOT NULL CHECK (hours > 0),
    starts_on          date NOT NULL,
    ends_on            date NOT NULL,
    capacity           integer NOT NULL CHECK (capacity > 0),
    location_region    text NOT NULL REFERENCES regions (code),
    -- National vocational qualification levels: 5 (初级工) .. 1 (高级技师).
    certificate_level  smallint NOT NULL CHECK (certificate_level BETWEEN 1 AND 5),
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on >= starts_on)
);
CREATE INDEX courses_center_idx ON courses (center_id, id);

CREATE TABLE enrollments (
    id                  bigserial PRIMARY KEY,
    course_id           bigint NOT NULL REFERENCES courses (id),
    worker_id           bigint NOT NULL REFERENCES workers (id),
    status              text NOT NULL DEFAULT 'enrolled' CHECK (status IN ('enrolled', 'passed', 'failed')),
    score               real CHECK (score BETWEEN 0 AND 100),
    certificate_number  text UNIQUE,
    level               smallint CHECK (level BETWEEN 1 AND 5),
    result_on           date,
    created_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (course_id, worker_id)
);
CREATE INDEX enrollments_worker_idx ON enrollments (worker_id);

CREATE TABLE worker_skills (
    id                  bigserial PRIMARY KEY,
    worker_id           bigint NOT NULL REFERENCES workers (id) ON DELETE CASCADE,
    occupation_code     text NOT NULL REFERENCES occupations (code),
    level               smallint CHECK (level BETWEEN 1 AND 5),
    source              text NOT NULL CHECK (source IN ('self_declared', 'certified')),
    years_experience    real NOT NULL DEFAULT 0 CHECK (years_experience BETWEEN 0 AND 60),
    note                text NOT NULL DEFAULT '',
    -- A certificate may cover several occupations of one course: not unique here.
    certificate_number  text,
    enrollment_id       bigint REFERENCES enrollments (id),
    certified_on        date
);
CREATE INDEX worker_skills_worker_idx ON worker_skills (worker_id);
CREATE INDEX worker_skills_occupation_idx ON worker_skills (occupation_code);

CREATE TABLE openings (
    id                    bigserial PRIMARY KEY,
    employer_id           bigint NOT NULL REFERENCES organizations (id),
    title                 text NOT NULL,
    description           text NOT NULL DEFAULT '',
    required_occupations  text[] NOT NULL,
    nice_occupations      text[] NOT NULL DEFAULT '{}',
    work_region           text NOT NULL REFERENCES regions (code),
    wage_min              integer NOT NULL CHECK (wage_min >= 0),
    wage_max              integer NOT NULL,
    headcount             integer NOT NULL CHECK (headcount > 0),
    housing               boolean NOT NULL DEFAULT false,
    meals                 boolean NOT NULL DEFAULT false,
    contract_months       integer CHECK (contract_months BETWEEN 1 AND 120),
    start_date            date NOT NULL,
    deadline              date NOT NULL,
    status                text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'filled', 'closed')),
    version               integer NOT NULL DEFAULT 1,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CHECK (wage_max >= wage_min)
);
CREATE INDEX openings_employer_idx ON openings (employer_id, id);

-- Outbox: every write that changes searchable data adds a row in the same transaction.
-- The indexer applies them in seq order and records how far it got in the index itself.
CREATE TABLE index_changes (
    seq         bigserial PRIMARY KEY,
    entity      text NOT NULL CHECK (entity IN ('worker', 'opening')),
    entity_id   bigint NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE idempotency_keys (
    account_id      bigint NOT NULL,
    key             text NOT NULL,
    request_hash    text NOT NULL,
    -- NULL while the first request is still running.
    response_status smallint,
    response_body   bytea,
    response_type   text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
