-- Reviewed seed data (sql/seed/occupation_trade_words.csv): colloquial trade words (挖机, 电焊,
-- 车位) and the occupation each usually names, with where the reading comes from. The
-- suggester reads the copy compiled into the binary; this table lets staff and reports see it.
CREATE TABLE occupation_trade_words (
    code    text NOT NULL REFERENCES occupations (code),
    word    text NOT NULL CHECK (length(word) BETWEEN 1 AND 40),
    source  text NOT NULL CHECK (source <> ''),
    note    text NOT NULL DEFAULT '',
    PRIMARY KEY (word)
);
