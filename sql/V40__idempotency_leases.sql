-- A key whose request is running belongs to a lease: its owner (one service instance) renews
-- it while the request runs. A key whose lease ran out (its process died) or whose owner
-- started again is free for a retry at once, not after ten minutes.
ALTER TABLE idempotency_keys
    ADD COLUMN owner text,
    ADD COLUMN lease_until timestamptz NOT NULL DEFAULT now() + interval '15 seconds',
    -- For answers that are not kept (they carry personal data or a one-time secret): where the
    -- resource is read again on replay.
    ADD COLUMN resource text;

-- Answers kept by earlier versions may hold phone and ID numbers or invitation codes.
DELETE FROM idempotency_keys;
