-- Every stored message bumps its conversation's last_seq and updated_at. updated_at was in
-- conversations_owner_idx, so no bump could be a HOT update: each wrote a new heap tuple and
-- an entry in both of the table's indexes (findings 28). No query reads that index by
-- updated_at (a member's conversations are listed through conversation_members, then sorted),
-- so it keeps owner_id alone, for the users foreign key. With no column the bump changes in an
-- index, and room left on each page for the new version, the bump is heap-only.
DROP INDEX conversations_owner_idx;
CREATE INDEX conversations_owner_idx ON conversations (owner_id);
ALTER TABLE conversations SET (fillfactor = 90);
