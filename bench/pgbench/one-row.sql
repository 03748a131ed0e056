-- One message per transaction: the naive commit-per-message a chat server would do.
-- 1,000 conversations; seq from one sequence keeps (conversation_id, seq) unique.
\set conv random(1, 1000)
INSERT INTO bench_messages (id, conversation_id, seq, role, sender_id, content, client_message_id)
VALUES (gen_random_uuid(),
        ('00000000-0000-0000-0000-' || lpad(:conv::text, 12, '0'))::uuid,
        nextval('bench_messages_seq'), 'user', 'user-' || :conv,
        'a message of about the size a chat user sends, sixty-odd bytes long',
        md5(random()::text));
