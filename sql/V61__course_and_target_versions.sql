-- Courses and county targets carry a version like households, workers and openings, so that
-- `PUT /courses/{id}` and `PUT /targets/{county}/{year}` take `If-Match` and two people editing
-- one record do not silently overwrite each other.
ALTER TABLE courses ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE county_targets ADD COLUMN version integer NOT NULL DEFAULT 1;
