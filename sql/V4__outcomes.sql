-- Applications and their history, dispatches, placements, follow-ups.

CREATE TABLE applications (
    id          bigserial PRIMARY KEY,
    opening_id  bigint NOT NULL REFERENCES openings (id),
    worker_id   bigint NOT NULL REFERENCES workers (id),
    state       text NOT NULL CHECK (state IN ('invited', 'applied', 'shortlisted', 'interviewing',
                    'offered', 'accepted', 'declined', 'rejected', 'withdrawn')),
    -- Set once the worker has applied or accepted an invitation: the employer may then see
    -- the worker's phone.
    worker_consented boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (opening_id, worker_id)
);
CREATE INDEX applications_worker_idx ON applications (worker_id);

CREATE TABLE application_events (
    id             bigserial PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES applications (id),
    from_state     text,
    to_state       text NOT NULL,
    actor_id       bigint,
    actor_role     text NOT NULL,
    note           text NOT NULL DEFAULT '',
    at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX application_events_app_idx ON application_events (application_id, id);

CREATE TABLE dispatches (
    id              bigserial PRIMARY KEY,
    departure_date  date NOT NULL,
    from_county     text NOT NULL REFERENCES regions (code),
    to_region       text NOT NULL REFERENCES regions (code),
    transport       text NOT NULL DEFAULT '',
    created_by      bigint NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dispatch_members (
    dispatch_id    bigint NOT NULL REFERENCES dispatches (id),
    application_id bigint NOT NULL REFERENCES applications (id),
    PRIMARY KEY (dispatch_id, application_id)
);

CREATE TABLE placements (
    id              bigserial PRIMARY KEY,
    application_id  bigint NOT NULL UNIQUE REFERENCES applications (id),
    worker_id       bigint NOT NULL REFERENCES workers (id),
    opening_id      bigint NOT NULL REFERENCES openings (id),
    employer_id     bigint NOT NULL REFERENCES organizations (id),
    start_date      date NOT NULL,
    agreed_wage     integer NOT NULL CHECK (agreed_wage > 0),
    contract_months integer CHECK (contract_months BETWEEN 1 AND 120),
    work_region     text NOT NULL REFERENCES regions (code),
    ended_on        date,
    end_reason      text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX placements_worker_idx ON placements (worker_id);
CREATE INDEX placements_employer_idx ON placements (employer_id);

CREATE TABLE followups (
    id            bigserial PRIMARY KEY,
    placement_id  bigint NOT NULL REFERENCES placements (id),
    due_month     integer NOT NULL,
    due_on        date NOT NULL,
    recorded_at   timestamptz,
    recorded_by   bigint,
    recorder_role text,
    employment    text CHECK (employment IN ('same_employer', 'other_employer', 'not_working')),
    monthly_wage  integer CHECK (monthly_wage >= 0),
    evidence_ref  text,
    UNIQUE (placement_id, due_month)
);
CREATE INDEX followups_due_idx ON followups (due_on) WHERE recorded_at IS NULL;
