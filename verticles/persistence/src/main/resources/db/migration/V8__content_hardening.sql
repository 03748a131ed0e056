-- Search by a file's name: PostgreSQL's parser reads "report.pdf" or "q3_plan.txt" as ONE
-- token, so a search for "report" never found the file. The name is now indexed whole (a
-- search for the full name still finds it) and also split at punctuation. A generated
-- column's expression cannot be altered before PostgreSQL 17: the column (and its index)
-- is dropped and added again, which recomputes it for every message.
ALTER TABLE messages DROP COLUMN search_vector;
ALTER TABLE messages ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
  CASE WHEN meta -> 'encrypted' IS NOT NULL THEN NULL
       ELSE to_tsvector('simple'::regconfig, content
              || ' ' || COALESCE(meta #>> '{attachment,file_name}', '')
              || ' ' || COALESCE(regexp_replace(meta #>> '{attachment,file_name}', '[[:punct:]]+', ' ', 'g'), ''))
  END) STORED;
CREATE INDEX messages_search_idx ON messages USING GIN (search_vector);
