-- A worker's skills in the order they were registered: every worker document reads them so,
-- and a full index build asks for each worker's first skill. One index on (worker_id, id)
-- answers both in order, where the one on worker_id alone left a sort per worker.
CREATE INDEX IF NOT EXISTS worker_skills_worker_order_idx ON worker_skills (worker_id, id);
DROP INDEX IF EXISTS worker_skills_worker_idx;
