-- Accounts, organizations, invitations, refresh tokens, login throttling, audit log.

-- Is `code` inside the administrative region `scope`? Division codes are hierarchical:
-- a province ends in 0000, a prefecture in 00.
CREATE FUNCTION region_within(code text, scope text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN code IS NULL OR scope IS NULL THEN false
        WHEN right(scope, 4) = '0000' THEN left(code, 2) = left(scope, 2)
        WHEN right(scope, 2) = '00' THEN left(code, 4) = left(scope, 4)
        ELSE code = scope
    END
$$;

CREATE TABLE organizations (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('center', 'employer')),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- Unified social credit code (employers; optional for centers).
    credit_code text UNIQUE,
    region_code text NOT NULL REFERENCES regions (code),
    address     text NOT NULL DEFAULT '',
    created_by  bigint,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE accounts (
    id              bigserial PRIMARY KEY,
    role            text NOT NULL CHECK (role IN ('worker', 'center', 'employer', 'officer', 'admin')),
    phone           text NOT NULL UNIQUE,
    password_hash   text NOT NULL,
    display_name    text NOT NULL DEFAULT '',
    organization_id bigint REFERENCES organizations (id),
    org_admin       boolean NOT NULL DEFAULT false,
    -- Officers: the region they may see.
    region_code     text REFERENCES regions (code),
    disabled        boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((role IN ('center', 'employer')) = (organization_id IS NOT NULL)),
    CHECK ((role = 'officer') = (region_code IS NOT NULL))
);
CREATE INDEX accounts_org_idx ON accounts (organization_id);

CREATE TABLE invitations (
    code_hash       text PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id),
    org_admin       boolean NOT NULL,
    created_by      bigint NOT NULL REFERENCES accounts (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    used_by         bigint REFERENCES accounts (id),
    used_at         timestamptz
);

CREATE TABLE refresh_tokens (
    id          bigserial PRIMARY KEY,
    token_hash  text NOT NULL UNIQUE,
    account_id  bigint NOT NULL REFERENCES accounts (id),
    family      uuid NOT NULL,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family);

CREATE TABLE login_failures (
    key       text NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_key_idx ON login_failures (key, failed_at);

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    bigint,
    actor_role  text NOT NULL,
    action      text NOT NULL,
    entity      text NOT NULL,
    entity_id   text NOT NULL,
    -- Home region of what was touched, so officers see the audit of their region only.
    region_code text,
    request_id  text NOT NULL DEFAULT '',
    details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);
