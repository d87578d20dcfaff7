-- Program integrity (issue 12): sessions named by access tokens, profile claim codes, and
-- counted attempts that can be taken back.

-- One session per sign-in: the refresh-token family it started, and every access token issued
-- in it (their `sid`). Ending it (logout, refresh-token reuse, the account disabled) ends all.
CREATE TABLE sessions (
    id             uuid PRIMARY KEY,
    account_id     bigint NOT NULL REFERENCES accounts (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz,
    revoked_reason text CHECK (revoked_reason IN ('logout', 'reuse', 'disabled')),
    CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);
CREATE INDEX sessions_account_idx ON sessions (account_id) WHERE revoked_at IS NULL;
-- The service re-reads the recently ended sessions a few times a second.
CREATE INDEX sessions_revoked_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

-- Every existing refresh-token family becomes a session (ended if any of its tokens was revoked).
INSERT INTO sessions (id, account_id, created_at, revoked_at, revoked_reason)
SELECT family, min(account_id), min(issued_at), max(revoked_at),
       CASE WHEN max(revoked_at) IS NULL THEN NULL ELSE 'logout' END
FROM refresh_tokens GROUP BY family;
ALTER TABLE refresh_tokens
    ADD CONSTRAINT refresh_tokens_session_fkey FOREIGN KEY (family) REFERENCES sessions (id);
CREATE INDEX refresh_tokens_account_idx ON refresh_tokens (account_id) WHERE revoked_at IS NULL;

-- One-time codes an office issues so a worker it registered can take over the profile.
-- Stored as a keyed hash; a new code for the same worker supersedes the previous one.
CREATE TABLE worker_claims (
    code_hash     text PRIMARY KEY,
    worker_id     bigint NOT NULL REFERENCES workers (id),
    issued_by     bigint NOT NULL REFERENCES accounts (id),
    issued_at     timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    superseded_at timestamptz,
    used_at       timestamptz,
    used_by       bigint REFERENCES accounts (id)
);
CREATE INDEX worker_claims_worker_idx ON worker_claims (worker_id);

-- login_failures now counts attempts of several kinds (failed sign-ins, wrong claim codes,
-- sign-ups), each counted before the check it guards and taken back by id when the check
-- succeeds.
ALTER TABLE login_failures ADD COLUMN id bigserial PRIMARY KEY;
COMMENT ON TABLE login_failures IS
    'Counted attempts per key (phone:, ip:, signup-phone:, signup-ip:), see src/db/throttle.rs';
