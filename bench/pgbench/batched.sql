-- 100 messages per transaction: what a batching writer commits at once.
-- pgbench counts transactions; pgbench_run multiplies by this for rows per second:
-- rows-per-transaction: 100
\set conv random(1, 1000)
INSERT INTO bench_messages (id, conversation_id, seq, role, sender_id, content, client_message_id)
SELECT gen_random_uuid(),
       ('00000000-0000-0000-0000-' || lpad(((:conv + n) % 1000 + 1)::text, 12, '0'))::uuid,
       nextval('bench_messages_seq'), 'user', 'user-' || n,
       'a message of about the size a chat user sends, sixty-odd bytes long',
       md5(random()::text)
FROM generate_series(1, 100) AS n;
