package chorus.persistence;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Every SQL statement of the persistence verticle. Each request is answered by ONE
 * statement (one round trip, autocommit, so the reply to the caller follows the commit);
 * the one exception is a key publish, {@link #LOCK_KEY_OWNER} then {@link #PUBLISH_KEY} in a transaction.
 * Parameters are cast explicitly so that PostgreSQL never has to guess a type.
 */
final class Sql {
  private Sql() {}

  // Column lists, selected as "<alias>.<column> AS <prefix><column>" so that a join of
  // several entities has no name clash; Rows reads them back with the same prefix.
  static final List<String> MESSAGE_COLUMNS = List.of("id", "conversation_id", "seq", "role", "sender_id",
      "content", "meta", "client_message_id", "reply_to_message_id", "created_at");
  static final List<String> BOT_COLUMNS = List.of("id", "owner_id", "name", "kind", "personality",
      "settings", "is_public", "created_at");
  static final List<String> CONVERSATION_COLUMNS = List.of("id", "bot_id", "owner_id", "title", "status",
      "last_seq", "created_at", "updated_at");
  static final List<String> USER_COLUMNS = List.of("id", "name", "role");

  static String columns(List<String> columns, String alias, String prefix) {
    return columns.stream().map(c -> alias + "." + c + " AS " + prefix + c).collect(Collectors.joining(", "));
  }

  /** The constraint whose violation means "this client message id was stored meanwhile": retry once. */
  static final String CLIENT_ID_CONSTRAINT = "messages_conversation_client_id_key";
  /** The unique index that allows one reply per message. */
  static final String ONE_REPLY_CONSTRAINT = "messages_one_reply_key";

  /**
   * Store one message, in one statement. Parameters:
   * $1 message id, $2 conversation id, $3 requester id (null = trusted caller), $4 role,
   * $5 sender id, $6 content, $7 meta, $8 client message id, $9 wants reply,
   * $10 reply-to message id, $11 reply job id (an AI reply), $12 lease owner, $13 id of the reply job to create,
   * $14 persona: the bot that answers instead of the conversation's (null = the conversation's bot),
   * $15 attachment id (null = no file), $16 file name, $17 content type, $18 sha256, $19 the file's bytes,
   * $20 user whose AI usage the reply counts against (null = none), $21 the reply's tokens.
   *
   * <p>Shape, and why:
   * <ul>
   * <li>{@code member}: the requester must be a member of the conversation (null = a trusted role).</li>
   * <li>{@code persona}: a persona must be public or the requester's own bot; otherwise nothing is written.</li>
   * <li>{@code strangers}: an end-to-end envelope ({@code meta.encrypted.recipients}) may only
   *     name members of the conversation, checked against the members at this statement;
   *     one naming anyone else writes nothing (invalid_recipient, told only to a member).</li>
   * <li>{@code existing}: a repeat of a stored client id is answered with the stored row and
   *     writes nothing (the {@code conv} update is guarded by NOT EXISTS existing).</li>
   * <li>{@code held}: an AI reply is only stored while its job is pending or leased to
   *     $12; FOR UPDATE re-reads the newest job row and keeps it until commit, so a
   *     concurrent claim by another node cannot slip between the check and the write.</li>
   * <li>{@code conv}: bumping last_seq takes the conversation's row lock, which serializes
   *     appends per conversation: seq = new last_seq is gap-free, and since everything is
   *     one statement, any failure rolls the bump back too. Ownership is checked here.</li>
   * <li>{@code job}: the reply job is created in the same commit as the user message.</li>
   * <li>{@code done}: the answered job is closed in the same commit as its reply.</li>
   * <li>{@code usage}: an AI reply's tokens ($20 user, $21 tokens) are added to the user's
   *     usage of today in the reply's own commit, so the next message's admission sees them;
   *     counted even when the job was lost meanwhile (the tokens were spent).</li>
   * <li>{@code freed}: the answered job stops counting against its user's running
   *     generations ({@code ai_running}) in the same commit.</li>
   * <li>{@code file}: the message's file is stored in the same commit as the message, only
   *     when the message is (not for a duplicate, a non-member, a failed statement): no file
   *     row is ever left that no message refers to.</li>
   * <li>The result is one row: the stored message, the existing one (duplicate), or why
   *     nothing was written (not_found / not_held / persona_not_found / invalid_recipient).</li>
   * </ul>
   * Two concurrent appends with one client id both miss {@code existing} (same snapshot
   * age); the second then hits the unique constraint and is run again by the caller, which
   * now finds the first one's row.
   */
  static final String APPEND = """
      WITH member AS (
        SELECT 1 FROM conversation_members WHERE conversation_id = $2::uuid AND user_id = $3::text
      ), persona AS (
        SELECT id, kind FROM bots WHERE id = $14::uuid AND (is_public OR owner_id = $3::text)
      ), strangers AS (
        SELECT 1
        FROM jsonb_array_elements(CASE WHEN jsonb_typeof($7::jsonb #> '{encrypted,recipients}') = 'array'
                                       THEN $7::jsonb #> '{encrypted,recipients}' END) r
        WHERE NOT EXISTS (SELECT 1 FROM conversation_members cm
                          WHERE cm.conversation_id = $2::uuid AND cm.user_id = r ->> 'user_id')
      ), existing AS (
        SELECT %1$s, j.id AS reply_job_id
        FROM messages m
        LEFT JOIN reply_jobs j ON j.user_message_id = m.id
        WHERE m.conversation_id = $2::uuid AND m.client_message_id = $8::text
          AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM member))
      ), held AS (
        SELECT user_message_id
        FROM reply_jobs
        WHERE id = $11::uuid AND conversation_id = $2::uuid
          AND (status = 'pending' OR (status = 'running' AND lease_owner = $12::text))
        FOR UPDATE
      ), conv AS (
        UPDATE conversations c SET last_seq = c.last_seq + 1, updated_at = now()
        FROM bots b
        WHERE c.id = $2::uuid AND b.id = c.bot_id
          AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM member))
          AND ($14::uuid IS NULL OR EXISTS (SELECT 1 FROM persona))
          AND NOT EXISTS (SELECT 1 FROM strangers)
          AND NOT EXISTS (SELECT 1 FROM existing)
          AND ($11::uuid IS NULL OR EXISTS (SELECT 1 FROM held))
        RETURNING c.id, c.last_seq, b.id AS bot_id, b.kind
      ), ins AS (
        INSERT INTO messages (id, conversation_id, seq, role, sender_id, content, meta, client_message_id, reply_to_message_id)
        SELECT $1::uuid, conv.id, conv.last_seq, $4::text, $5::text, $6::text, $7::jsonb, $8::text,
               COALESCE((SELECT user_message_id FROM held), $10::uuid)
        FROM conv
        RETURNING *
      ), job AS (
        INSERT INTO reply_jobs (id, conversation_id, user_message_id, bot_id)
        SELECT $13::uuid, ins.conversation_id, ins.id, COALESCE((SELECT id FROM persona), conv.bot_id)
        FROM ins, conv
        WHERE $9::boolean AND ins.role = 'user' AND COALESCE((SELECT kind FROM persona), conv.kind) = 'llm'
        RETURNING id
      ), done AS (
        UPDATE reply_jobs j
        SET status = 'done', reply_message_id = ins.id, lease_owner = NULL, lease_until = NULL, updated_at = now()
        FROM ins
        WHERE j.id = $11::uuid
        RETURNING j.id, j.admitted_user_id
      ), usage AS (
        INSERT INTO ai_usage (user_id, day, tokens)
        SELECT $20::text, (now() AT TIME ZONE 'UTC')::date, $21::bigint
        WHERE $20::text IS NOT NULL AND $21::bigint > 0
        ON CONFLICT (user_id, day) DO UPDATE SET tokens = ai_usage.tokens + EXCLUDED.tokens
      ), freed AS (
        UPDATE ai_running r SET %5$s
        FROM done
        WHERE r.user_id = done.admitted_user_id AND $11::uuid = ANY(r.jobs)
      ), file AS (
        INSERT INTO attachments (id, conversation_id, uploader_id, file_name, content_type, size, sha256, data)
        SELECT $15::uuid, ins.conversation_id, ins.sender_id, $16::text, $17::text, octet_length($19::bytea), $18::text, $19::bytea
        FROM ins
        WHERE $15::uuid IS NOT NULL
      )
      SELECT 'stored' AS outcome, %2$s, (SELECT id FROM job) AS reply_job_id FROM ins i
      UNION ALL
      SELECT 'duplicate', %3$s, e.reply_job_id FROM existing e
      UNION ALL
      SELECT CASE WHEN $11::uuid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM held) THEN 'not_held'
                  WHEN $14::uuid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM persona) THEN 'persona_not_found'
                  WHEN EXISTS (SELECT 1 FROM strangers) AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM member))
                       AND EXISTS (SELECT 1 FROM conversations WHERE id = $2::uuid) THEN 'invalid_recipient'
                  ELSE 'not_found' END,
             %4$s, NULL
      WHERE NOT EXISTS (SELECT 1 FROM ins) AND NOT EXISTS (SELECT 1 FROM existing)
      """.formatted(
      columns(MESSAGE_COLUMNS, "m", ""),
      columns(MESSAGE_COLUMNS, "i", ""),
      columns(MESSAGE_COLUMNS, "e", ""),
      MESSAGE_COLUMNS.stream().map(c -> "NULL").collect(Collectors.joining(", ")),
      withoutRunningJob("$11::uuid", false));

  /**
   * Locks the conversations a batch of plain appends writes to, in id order, before
   * {@link #APPEND_MANY} bumps them: two batches then never wait on each other in a cycle.
   * $1 the conversation ids.
   */
  static final String LOCK_CONVERSATIONS = """
      SELECT id FROM conversations WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE
      """;

  /**
   * Stores many plain messages (no AI reply, persona, envelope, file or quoted reply: see
   * {@code MessageStore.plain}) in one statement, which is what a busy node mostly stores:
   * one statement per batch instead of one per message costs the database a fraction of
   * the CPU. Parameters are arrays, one element per message, in arrival order:
   * $1 message ids, $2 conversation ids, $3 requester ids (null = trusted caller), $4 roles,
   * $5 sender ids, $6 contents, $7 metas (JSON text), $8 client message ids, $9 wants reply,
   * $10 ids of the reply jobs to create.
   *
   * <p>It stores only what {@link #APPEND} would store: a requester who is a member, a
   * conversation that exists, a client id not stored before. Seqs follow arrival order
   * within each conversation; each conversation's last_seq is bumped once by its count. It
   * returns the stored rows (with the reply job created for each, if any); a message missing
   * from them was not stored, and {@link #APPEND} run on its own says why (a duplicate, not
   * found). A client id twice in one batch fails the statement on the unique key, and the
   * caller stores each message on its own.
   */
  static final String APPEND_MANY = """
      WITH input AS (
        SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                             $8::text[], $9::boolean[], $10::uuid[])
          WITH ORDINALITY AS t(id, conversation_id, requester_id, role, sender_id, content, meta,
                               client_message_id, wants_reply, job_id, ord)
      ), accepted AS (
        -- a join, not EXISTS under an OR: that one PostgreSQL runs as a scan of every membership
        SELECT i.*, row_number() OVER (PARTITION BY i.conversation_id ORDER BY i.ord) AS nth
        FROM input i
        LEFT JOIN conversation_members cm ON cm.conversation_id = i.conversation_id AND cm.user_id = i.requester_id
        WHERE (i.requester_id IS NULL OR cm.user_id IS NOT NULL)
          AND NOT EXISTS (SELECT 1 FROM messages m
                          WHERE m.conversation_id = i.conversation_id AND m.client_message_id = i.client_message_id)
      ), counted AS (
        SELECT conversation_id, count(*) AS n FROM accepted GROUP BY conversation_id
      ), conv AS (
        UPDATE conversations c SET last_seq = c.last_seq + counted.n, updated_at = now()
        FROM counted, bots b
        WHERE c.id = counted.conversation_id AND b.id = c.bot_id
        RETURNING c.id, c.last_seq - counted.n AS base_seq, b.id AS bot_id, b.kind
      ), ins AS (
        INSERT INTO messages (id, conversation_id, seq, role, sender_id, content, meta, client_message_id)
        SELECT a.id, a.conversation_id, conv.base_seq + a.nth, a.role, a.sender_id, a.content, a.meta::jsonb, a.client_message_id
        FROM accepted a JOIN conv ON conv.id = a.conversation_id
        RETURNING *
      ), job AS (
        INSERT INTO reply_jobs (id, conversation_id, user_message_id, bot_id)
        SELECT a.job_id, a.conversation_id, a.id, conv.bot_id
        FROM accepted a JOIN conv ON conv.id = a.conversation_id
        WHERE a.wants_reply AND a.role = 'user' AND conv.kind = 'llm'
        RETURNING id, user_message_id
      )
      SELECT %s, job.id AS reply_job_id FROM ins i LEFT JOIN job ON job.user_message_id = i.id
      """.formatted(columns(MESSAGE_COLUMNS, "i", ""));

  /**
   * What a socket caches for its lifetime, in one query; $1 conversation, $2 user. The
   * membership join makes "missing" and "not yours" the same zero rows.
   */
  static final String CONNECT_CONTEXT = """
      SELECT %s, %s, %s, cm.archived_at AS cm_archived_at
      FROM conversations c
      JOIN bots b ON b.id = c.bot_id
      JOIN conversation_members cm ON cm.conversation_id = c.id AND cm.user_id = $2::text
      JOIN users u ON u.id = cm.user_id
      WHERE c.id = $1::uuid
      """.formatted(
      columns(CONVERSATION_COLUMNS, "c", "c_"),
      columns(BOT_COLUMNS, "b", "b_"),
      columns(USER_COLUMNS, "u", "u_"));

  /**
   * One page of history, oldest first; $1 conversation, $2 requester (null = trusted),
   * $3 exclusive lower seq, $4 exclusive upper seq, $5 row limit (page size + 1 to learn
   * hasMore). Starting FROM the conversation row tells "not found / not yours" (no row)
   * from "empty page" (one row with NULL message columns), in the same round trip.
   */
  private static final String HISTORY = """
      SELECT %s
      FROM conversations c
      LEFT JOIN LATERAL (
        SELECT * FROM messages
        WHERE conversation_id = c.id AND seq > $3::bigint AND seq < $4::bigint
        ORDER BY seq %s
        LIMIT $5::int
      ) m ON true
      WHERE c.id = $1::uuid
        AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM conversation_members WHERE conversation_id = c.id AND user_id = $2::text))
      ORDER BY m.seq
      """;
  /** The first messages after the lower bound (walking forward). */
  static final String HISTORY_FORWARD = HISTORY.formatted(columns(MESSAGE_COLUMNS, "m", "m_"), "ASC");
  /** The newest messages under the upper bound (walking back); still returned oldest first. */
  static final String HISTORY_BACKWARD = HISTORY.formatted(columns(MESSAGE_COLUMNS, "m", "m_"), "DESC");

  /**
   * The caller's user row is created or refreshed on the way, so that no separate
   * "register" call is needed; $1 id, $2 name, $3 role (null keeps the stored one).
   */
  private static final String UPSERT_OWNER = """
      owner AS (
        INSERT INTO users (id, name, role) VALUES ($1::text, COALESCE($2::text, ''), COALESCE($3::text, 'user'))
        ON CONFLICT (id) DO UPDATE
        SET name = COALESCE(NULLIF(EXCLUDED.name, ''), users.name),
            role = COALESCE($3::text, users.role),
            updated_at = now()
        RETURNING id
      )""";

  /** Upsert the owner and insert the bot; $4 bot id, $5 name, $6 kind, $7 personality, $8 settings, $9 public. */
  static final String CREATE_BOT = """
      WITH %s
      INSERT INTO bots (id, owner_id, name, kind, personality, settings, is_public)
      SELECT $4::uuid, owner.id, $5::text, $6::text, COALESCE($7::text, ''), $8::jsonb, $9::boolean
      FROM owner
      RETURNING %s
      """.formatted(UPSERT_OWNER, String.join(", ", BOT_COLUMNS));

  /**
   * Upsert the owner and insert the conversation, only when the bot exists and is public
   * or the owner's; $4 conversation id, $5 bot id, $6 title. No row = NOT_FOUND.
   * With a survey bot that has questions ({@code survey}), the same statement starts the
   * survey for the customer ($7 id, $8 name, $9 email) and stores the script's first question
   * as message 1 ($10 its id), so every socket finds it in the history.
   */
  static final String CREATE_CONVERSATION = """
      WITH %s, bot AS (
        SELECT b.id, b.kind = 'survey' AND b.settings #> '{survey,questions,0}' IS NOT NULL AS survey,
               b.settings #> '{survey,questions,0}' AS first_question
        FROM owner
        JOIN bots b ON b.id = $5::uuid AND (b.is_public OR b.owner_id = owner.id)
      ), created AS (
        INSERT INTO conversations (id, bot_id, owner_id, title, last_seq)
        SELECT $4::uuid, bot.id, owner.id, COALESCE($6::text, ''), CASE WHEN bot.survey THEN 1 ELSE 0 END
        FROM owner, bot
        RETURNING %s
      ), membership AS (
        INSERT INTO conversation_members (conversation_id, user_id, role)
        SELECT id, owner_id, 'owner' FROM created
      ), survey AS (
        INSERT INTO survey_states (conversation_id, customer_id, customer_name, customer_email)
        SELECT created.id, COALESCE($7::text, ''), COALESCE($8::text, ''), COALESCE($9::text, '')
        FROM created, bot WHERE bot.survey
      ), first_question AS (
        INSERT INTO messages (id, conversation_id, seq, role, sender_id, content, meta)
        SELECT $10::uuid, created.id, 1, 'assistant', bot.id::text, bot.first_question ->> 'text',
               jsonb_build_object('survey', jsonb_build_object('question_index', 0, 'question_id', bot.first_question ->> 'id'))
        FROM created, bot WHERE bot.survey
      )
      SELECT * FROM created
      """.formatted(UPSERT_OWNER, String.join(", ", CONVERSATION_COLUMNS));

  static final List<String> SURVEY_STATE_COLUMNS = List.of("conversation_id", "current_question_index", "answers", "status",
      "customer_id", "customer_name", "customer_email", "created_at", "updated_at");

  /**
   * A conversation, its bot, its survey state and its first $3 messages, in one query; $1
   * conversation, $2 requester. With a requester, they must be a member; without one (the
   * survey capability: the unguessable conversation id) only a survey conversation is found.
   * No row = NOT_FOUND; one row with NULL message columns = no message (or $3 = 0).
   */
  static final String SURVEY_CONTEXT = """
      SELECT %s, %s, %s, %s
      FROM conversations c
      JOIN bots b ON b.id = c.bot_id
      LEFT JOIN survey_states s ON s.conversation_id = c.id
      LEFT JOIN LATERAL (
        SELECT * FROM messages WHERE conversation_id = c.id ORDER BY seq LIMIT $3::int
      ) m ON true
      WHERE c.id = $1::uuid
        AND (($2::text IS NULL AND s.conversation_id IS NOT NULL)
             OR EXISTS (SELECT 1 FROM conversation_members WHERE conversation_id = c.id AND user_id = $2::text))
      ORDER BY m.seq
      """.formatted(
      columns(CONVERSATION_COLUMNS, "c", "c_"),
      columns(BOT_COLUMNS, "b", "b_"),
      columns(SURVEY_STATE_COLUMNS, "s", "s_"),
      columns(MESSAGE_COLUMNS, "m", "m_"));

  /**
   * Record one survey answer and advance, in one statement. $1 conversation, $2 requester
   * (null = the capability), $3 the question index answered, $4 its id, $5 the answer
   * (null = skipped), $6 the answer message's content, $7 its meta, $8 the next index,
   * $9 completes, $10 the bot's next message, $11 its meta, $12 / $13 the two message ids,
   * $14 the answer's sender id.
   *
   * <p>{@code advanced} is the conditional update: only an active survey still at question
   * $3 moves. Its row lock serializes concurrent answers; the loser re-checks the condition
   * on the winner's row version, finds the index moved, and writes nothing. {@code conv}
   * bumps last_seq by two (the answer and the bot's reply get consecutive seqs, under the
   * conversation's lock like every append). Nothing advanced: one row saying why (stale or
   * completed) with the state as this statement saw it; no row at all: NOT_FOUND.
   */
  static final String SURVEY_ANSWER = """
      WITH member AS (
        SELECT 1 FROM conversation_members WHERE conversation_id = $1::uuid AND user_id = $2::text
      ), advanced AS (
        UPDATE survey_states s
        SET current_question_index = $8::int,
            answers = s.answers || jsonb_build_object($4::text, to_jsonb($5::text)),
            status = CASE WHEN $9::boolean THEN 'completed' ELSE 'active' END,
            completed_at = CASE WHEN $9::boolean THEN now() END,
            updated_at = now()
        WHERE s.conversation_id = $1::uuid AND s.status = 'active' AND s.current_question_index = $3::int
          AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM member))
        RETURNING s.*
      ), conv AS (
        UPDATE conversations c SET last_seq = c.last_seq + 2, updated_at = now()
        FROM advanced a
        WHERE c.id = a.conversation_id
        RETURNING c.id, c.last_seq, c.bot_id
      ), ins AS (
        INSERT INTO messages (id, conversation_id, seq, role, sender_id, content, meta)
        SELECT $12::uuid, conv.id, conv.last_seq - 1, 'user', $14::text, $6::text, $7::jsonb FROM conv
        UNION ALL
        SELECT $13::uuid, conv.id, conv.last_seq, 'assistant', conv.bot_id::text, $10::text, $11::jsonb FROM conv
        RETURNING *
      )
      SELECT 'stored' AS outcome, %s, %s FROM advanced a, ins i
      UNION ALL
      SELECT CASE WHEN s.status = 'completed' THEN 'completed' ELSE 'stale' END, %s, %s
      FROM survey_states s
      WHERE s.conversation_id = $1::uuid AND NOT EXISTS (SELECT 1 FROM advanced)
        AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM member))
      ORDER BY seq
      """.formatted(
      columns(SURVEY_STATE_COLUMNS, "a", "s_"),
      columns(MESSAGE_COLUMNS, "i", ""),
      columns(SURVEY_STATE_COLUMNS, "s", "s_"),
      MESSAGE_COLUMNS.stream().map(c -> "NULL AS " + c).collect(Collectors.joining(", ")));

  /**
   * SET clause for an {@code ai_running r} row: its entries without the job {@code job} (and,
   * when {@code dropExpired}, without entries whose lease has ended), both arrays in one order.
   */
  static String withoutRunningJob(String job, boolean dropExpired) {
    String keep = "e.j <> " + job + (dropExpired ? " AND e.l > now()" : "");
    return "jobs = ARRAY(SELECT e.j FROM unnest(r.jobs, r.leases) AS e(j, l) WHERE " + keep + "), "
        + "leases = ARRAY(SELECT e.l FROM unnest(r.jobs, r.leases) AS e(j, l) WHERE " + keep + ")";
  }

  /** How many of the {@code ai_running r} row's entries other than {@code job} still hold a valid lease. */
  static String otherLiveRunning(String job) {
    return "(SELECT count(*) FROM unnest(r.jobs, r.leases) AS e(j, l) WHERE e.j <> " + job + " AND e.l > now())";
  }

  /** Readiness: one round trip. */
  static final String PING = "SELECT 1";

  /**
   * Take the lease, admit the generation under the asking user's limits, and load what the
   * AI needs, in one statement; $1 job, $2 node id, $3 lease millis, $4 history limit,
   * $5 max running generations per user, $6 daily token quota (0 = that limit is off).
   * <ul>
   * <li>{@code job}: the atomic claim (a row lock plus the status/lease condition re-checked
   *     on the newest row version); with a limit on it names the asking user (the sender
   *     of the answered message, when a user) in admitted_user_id.</li>
   * <li>{@code usage}: the user's usage row of today, upserted: ON CONFLICT DO UPDATE waits
   *     for a concurrent writer and returns the NEWEST tokens, never the snapshot's.</li>
   * <li>{@code slot}: under the quota, the job is added to the user's {@code ai_running}
   *     row only if fewer than $5 other entries hold a valid lease. The condition is read on
   *     the row's newest version after its lock (ON CONFLICT DO UPDATE), so two claims of
   *     one user on two nodes serialize on that row and the second sees the first: the
   *     limit holds cluster-wide. Expired entries (a dead node's) are dropped here.</li>
   * </ul>
   * A refused job is still claimed (job_refusal names why); the caller gives it back failed.
   * The joins read the bot and the last $4 messages up to the user message. One row per
   * history message; no row = the job is held elsewhere, finished, or missing.
   */
  static final String CLAIM_REPLY_JOB = """
      WITH job AS (
        UPDATE reply_jobs j
        SET status = 'running', lease_owner = $2::text, lease_until = now() + $3::bigint * interval '1 millisecond',
            attempts = attempts + 1, updated_at = now(),
            admitted_user_id = CASE WHEN $5::int > 0 OR $6::bigint > 0 THEN
              (SELECT um.sender_id FROM messages um WHERE um.id = j.user_message_id AND um.role = 'user') END
        WHERE id = $1::uuid
          AND (status IN ('pending', 'failed') OR (status = 'running' AND lease_until < now()))
        RETURNING id, conversation_id, user_message_id, attempts, bot_id, lease_until, admitted_user_id
      ), usage AS (
        INSERT INTO ai_usage (user_id, day)
        SELECT admitted_user_id, (now() AT TIME ZONE 'UTC')::date FROM job
        WHERE admitted_user_id IS NOT NULL AND $6::bigint > 0
        ON CONFLICT (user_id, day) DO UPDATE SET tokens = ai_usage.tokens
        RETURNING tokens
      ), slot AS (
        INSERT INTO ai_running AS r (user_id, jobs, leases)
        SELECT admitted_user_id, ARRAY[id], ARRAY[lease_until] FROM job
        WHERE admitted_user_id IS NOT NULL AND $5::int > 0 AND NOT EXISTS (SELECT 1 FROM usage WHERE tokens >= $6::bigint)
        ON CONFLICT (user_id) DO UPDATE
        SET jobs = ARRAY(SELECT e.j FROM unnest(r.jobs, r.leases) AS e(j, l) WHERE e.j <> $1::uuid AND e.l > now()) || EXCLUDED.jobs,
            leases = ARRAY(SELECT e.l FROM unnest(r.jobs, r.leases) AS e(j, l) WHERE e.j <> $1::uuid AND e.l > now()) || EXCLUDED.leases
        WHERE %3$s < $5::int
        RETURNING r.user_id
      )
      SELECT job.id AS job_id, job.conversation_id AS job_conversation_id,
             job.user_message_id AS job_user_message_id, job.attempts AS job_attempts,
             job.admitted_user_id AS job_asker_id,
             CASE WHEN job.admitted_user_id IS NULL THEN NULL
                  WHEN EXISTS (SELECT 1 FROM usage WHERE tokens >= $6::bigint) THEN 'AI_QUOTA_EXCEEDED'
                  WHEN $5::int > 0 AND NOT EXISTS (SELECT 1 FROM slot) THEN 'AI_TOO_MANY_GENERATIONS'
                  END AS job_refusal,
             %1$s, %2$s
      FROM job
      JOIN conversations c ON c.id = job.conversation_id
      JOIN bots b ON b.id = COALESCE(job.bot_id, c.bot_id)
      JOIN messages um ON um.id = job.user_message_id
      LEFT JOIN LATERAL (
        SELECT * FROM messages
        -- nothing without plaintext: an encrypted message or a file (content '') says nothing a provider can read
        WHERE conversation_id = job.conversation_id AND seq <= um.seq AND content <> ''
        ORDER BY seq DESC
        LIMIT $4::int
      ) m ON true
      ORDER BY m.seq
      """.formatted(columns(BOT_COLUMNS, "b", "b_"), columns(MESSAGE_COLUMNS, "m", "m_"), otherLiveRunning("$1::uuid"));

  /**
   * Jobs nobody works on, oldest first; $1 pending-age millis, $2 max. Each branch of
   * the OR matches one partial index (pending by created_at, running by lease_until).
   */
  static final String DUE_REPLY_JOBS = """
      SELECT id, conversation_id
      FROM reply_jobs
      WHERE (status = 'pending' AND created_at < now() - $1::bigint * interval '1 millisecond')
         OR (status = 'running' AND lease_until < now())
      ORDER BY created_at
      LIMIT $2::int
      """;

  /**
   * Give a job back as failed (claimable again) with its error; only the lease holder may
   * ($1 job, $2 node id, $3 error). Zero rows = the lease was lost.
   */
  static final String FAIL_REPLY_JOB = """
      WITH failed AS (
        UPDATE reply_jobs
        SET status = 'failed', last_error = $3::text, lease_owner = NULL, lease_until = NULL, updated_at = now()
        WHERE id = $1::uuid AND status = 'running' AND lease_owner = $2::text
        RETURNING id, admitted_user_id
      ), freed AS (
        UPDATE ai_running r SET %s
        FROM failed
        WHERE r.user_id = failed.admitted_user_id AND $1::uuid = ANY(r.jobs)
      )
      SELECT id FROM failed
      """.formatted(withoutRunningJob("$1::uuid", false));

  /**
   * Extend the lease while streaming ($1 job, $2 node id, $3 lease millis); zero rows = the
   * lease was lost. An admitted job's entry in its user's ai_running row is extended with it
   * (re-added if a claim dropped it as expired: it counts again while the lease is valid).
   */
  static final String RENEW_REPLY_JOB = """
      WITH renewed AS (
        UPDATE reply_jobs
        SET lease_until = now() + $3::bigint * interval '1 millisecond', updated_at = now()
        WHERE id = $1::uuid AND status = 'running' AND lease_owner = $2::text
        RETURNING id, admitted_user_id, lease_until
      ), slot AS (
        UPDATE ai_running r
        SET jobs = ARRAY(SELECT e.j FROM unnest(r.jobs, r.leases) AS e(j, l) WHERE e.j <> $1::uuid AND e.l > now()) || renewed.id,
            leases = ARRAY(SELECT e.l FROM unnest(r.jobs, r.leases) AS e(j, l) WHERE e.j <> $1::uuid AND e.l > now()) || renewed.lease_until
        FROM renewed
        WHERE r.user_id = renewed.admitted_user_id
      )
      SELECT id FROM renewed
      """;

  /** A draining node gives its job back as pending ($1 job, $2 node id); zero rows = not its job any more. */
  static final String RELEASE_REPLY_JOB = """
      WITH released AS (
        UPDATE reply_jobs
        SET status = 'pending', lease_owner = NULL, lease_until = NULL, updated_at = now()
        WHERE id = $1::uuid AND status = 'running' AND lease_owner = $2::text
        RETURNING id, conversation_id, admitted_user_id
      ), freed AS (
        UPDATE ai_running r SET %s
        FROM released
        WHERE r.user_id = released.admitted_user_id AND $1::uuid = ANY(r.jobs)
      )
      SELECT id, conversation_id FROM released
      """.formatted(withoutRunningJob("$1::uuid", false));

  /**
   * A member asks for a failed job again ($1 conversation, $2 user message, $3 requester).
   * No row: not a message of a conversation of the requester's; retried_id NULL: the job is not failed.
   */
  static final String RETRY_REPLY_JOB = """
      WITH target AS (
        SELECT j.id, j.conversation_id
        FROM reply_jobs j
        JOIN conversation_members cm ON cm.conversation_id = j.conversation_id AND cm.user_id = $3::text
        WHERE j.user_message_id = $2::uuid AND j.conversation_id = $1::uuid
      ), retried AS (
        UPDATE reply_jobs j
        SET status = 'pending', last_error = NULL, updated_at = now()
        FROM target t
        WHERE j.id = t.id AND j.status = 'failed'
        RETURNING j.id
      )
      SELECT t.id, t.conversation_id, (SELECT id FROM retried) AS retried_id FROM target t
      """;

  /**
   * Add a member, if the requester owns the conversation; $1 conversation, $2 requester,
   * $3 user. The user's row is created if they never called Chorus yet (refreshed when
   * they do). found = 0: not the requester's (NOT_FOUND); added = 0: already a member.
   */
  static final String ADD_MEMBER = """
      WITH conv AS (
        SELECT id FROM conversations WHERE id = $1::uuid AND owner_id = $2::text
      ), person AS (
        INSERT INTO users (id, name) SELECT $3::text, '' FROM conv ON CONFLICT (id) DO NOTHING
      ), added AS (
        INSERT INTO conversation_members (conversation_id, user_id)
        SELECT id, $3::text FROM conv
        ON CONFLICT (conversation_id, user_id) DO NOTHING
        RETURNING user_id
      )
      SELECT (SELECT count(*) FROM conv) AS found, (SELECT count(*) FROM added) AS changed
      """;

  /** Remove a member (never the owner), if the requester owns the conversation; same parameters and answer. */
  static final String REMOVE_MEMBER = """
      WITH conv AS (
        SELECT id FROM conversations WHERE id = $1::uuid AND owner_id = $2::text
      ), removed AS (
        DELETE FROM conversation_members m USING conv
        WHERE m.conversation_id = conv.id AND m.user_id = $3::text AND m.role <> 'owner'
        RETURNING m.user_id
      )
      SELECT (SELECT count(*) FROM conv) AS found, (SELECT count(*) FROM removed) AS changed
      """;

  /** Everyone who shares a conversation with $1, $1 excluded: who is told when $1 comes and goes. */
  static final String CO_MEMBERS = """
      SELECT DISTINCT other.user_id
      FROM conversation_members mine
      JOIN conversation_members other ON other.conversation_id = mine.conversation_id AND other.user_id <> mine.user_id
      WHERE mine.user_id = $1::text
      """;

  /** The members of conversation $1, sorted. */
  static final String CONVERSATION_MEMBERS = "SELECT user_id FROM conversation_members WHERE conversation_id = $1::uuid ORDER BY user_id";

  /** The newest seq of many conversations at once ($1 uuid[]): a node's safety net for lost publishes. */
  static final String LAST_SEQS = "SELECT id, last_seq FROM conversations WHERE id = ANY($1::uuid[])";

  /**
   * Move a member's read mark forward ($1 conversation, $2 user, $3 seq), capped at the
   * conversation's last seq; found = 0: not a member; changed = 0: it was already there or further.
   */
  static final String MARK_READ = """
      WITH member AS (
        SELECT m.conversation_id, m.user_id, m.last_read_seq, LEAST($3::bigint, c.last_seq) AS target
        FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.conversation_id = $1::uuid AND m.user_id = $2::text
      ), moved AS (
        UPDATE conversation_members m SET last_read_seq = member.target
        FROM member
        WHERE m.conversation_id = member.conversation_id AND m.user_id = member.user_id AND member.target > m.last_read_seq
        RETURNING m.last_read_seq
      )
      SELECT (SELECT count(*) FROM member) AS found,
             (SELECT count(*) FROM moved) AS changed,
             COALESCE((SELECT last_read_seq FROM moved), (SELECT last_read_seq FROM member)) AS last_read_seq
      """;

  /**
   * Add a reaction ($1 conversation, $2 message, $3 user, $4 emoji): only by a member, on a
   * message of that conversation. found = 0: not a member or no such message; changed = 0: already there.
   */
  static final String ADD_REACTION = """
      WITH target AS (
        SELECT msg.id FROM messages msg
        JOIN conversation_members m ON m.conversation_id = msg.conversation_id AND m.user_id = $3::text
        WHERE msg.id = $2::uuid AND msg.conversation_id = $1::uuid
      ), added AS (
        INSERT INTO message_reactions (message_id, user_id, emoji)
        SELECT id, $3::text, $4::text FROM target
        ON CONFLICT DO NOTHING
        RETURNING message_id
      )
      SELECT (SELECT count(*) FROM target) AS found, (SELECT count(*) FROM added) AS changed
      """;

  /** Remove one's own reaction; same parameters and answer. */
  static final String REMOVE_REACTION = """
      WITH target AS (
        SELECT msg.id FROM messages msg
        JOIN conversation_members m ON m.conversation_id = msg.conversation_id AND m.user_id = $3::text
        WHERE msg.id = $2::uuid AND msg.conversation_id = $1::uuid
      ), removed AS (
        DELETE FROM message_reactions r USING target
        WHERE r.message_id = target.id AND r.user_id = $3::text AND r.emoji = $4::text
        RETURNING r.message_id
      )
      SELECT (SELECT count(*) FROM target) AS found, (SELECT count(*) FROM removed) AS changed
      """;

  // ---- attachments, public keys and search (V5) -----------------------------------------

  /**
   * A file for a download ($1 attachment, $2 requester): no row = no such file; the bytes
   * are read only when the requester is a member of the file's conversation now.
   */
  static final String FETCH_ATTACHMENT = """
      WITH file AS (
        SELECT a.id, a.conversation_id, a.file_name, a.content_type, a.size,
               EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = a.conversation_id AND m.user_id = $2::text) AS allowed
        FROM attachments a WHERE a.id = $1::uuid
      )
      SELECT file.*, CASE WHEN file.allowed THEN (SELECT data FROM attachments WHERE id = file.id) END AS data
      FROM file
      """;

  /**
   * First statement of a key publish: upsert the user's row ($1 id, $2 name, $3 role), which
   * also locks it until the transaction ends. Concurrent publishes of one user queue here, so
   * each one's {@link #PUBLISH_KEY} (a new statement, a new snapshot under READ COMMITTED)
   * counts the keys the ones before it committed: the cap is exact.
   */
  static final String LOCK_KEY_OWNER = """
      WITH %s
      SELECT id FROM owner
      """.formatted(UPSERT_OWNER);

  /**
   * Publish or replace one public key ($2 key id, $3 algorithm, $4 key) of $1, unless the
   * user already has $5 other keys; run after {@link #LOCK_KEY_OWNER} in the same
   * transaction. No row = too many keys.
   */
  static final String PUBLISH_KEY = """
      WITH existing AS (
        SELECT count(*) AS keys, COALESCE(bool_or(key_id = $2::text), false) AS replacing
        FROM user_keys WHERE user_id = $1::text
      )
      INSERT INTO user_keys (user_id, key_id, algorithm, public_key)
      SELECT $1::text, $2::text, $3::text, $4::text
      FROM existing
      WHERE existing.replacing OR existing.keys < $5::int
      ON CONFLICT (user_id, key_id) DO UPDATE
      SET algorithm = EXCLUDED.algorithm, public_key = EXCLUDED.public_key, updated_at = now()
      RETURNING key_id, algorithm, public_key, created_at, updated_at
      """;

  /**
   * The public keys of $2 for $1: visible to the user themself and to users who share a
   * conversation with them. One row with visible = false when not; else one row per key
   * (or one with NULL key columns when there is none).
   */
  static final String USER_KEYS = """
      WITH v AS (
        SELECT ($1::text = $2::text OR EXISTS (
          SELECT 1 FROM conversation_members mine
          JOIN conversation_members theirs ON theirs.conversation_id = mine.conversation_id
          WHERE mine.user_id = $1::text AND theirs.user_id = $2::text)) AS visible
      )
      SELECT v.visible, k.key_id, k.algorithm, k.public_key, k.created_at, k.updated_at
      FROM v LEFT JOIN user_keys k ON v.visible AND k.user_id = $2::text
      ORDER BY k.created_at, k.key_id
      """;

  /**
   * Full-text search, newest first, over the plaintext messages of the conversations $1 is a
   * member of now; $2 query (web-search syntax: words, "phrases", or, -word), $3 only this
   * conversation (or NULL), $4/$5 the cursor (created_at, id) of the previous page's last
   * result (or NULL), $6 row limit. Encrypted messages have no search vector: never found.
   */
  static final String SEARCH_MESSAGES = """
      SELECT %s,
             ts_headline('simple', m.content, q, 'StartSel=**, StopSel=**, MaxWords=24, MinWords=8, MaxFragments=2') AS snippet
      FROM websearch_to_tsquery('simple', $2::text) q, messages m
      WHERE m.search_vector @@ q
        AND m.conversation_id IN (SELECT conversation_id FROM conversation_members WHERE user_id = $1::text)
        AND ($3::uuid IS NULL OR m.conversation_id = $3::uuid)
        AND ($4::timestamptz IS NULL OR (m.created_at, m.id) < ($4::timestamptz, $5::uuid))
      ORDER BY m.created_at DESC, m.id DESC
      LIMIT $6::int
      """.formatted(columns(MESSAGE_COLUMNS, "m", "m_"));
  /** Users ($1 text[]) went offline at $2: last_seen_at never moves back (two presence verticles may race). */
  static final String RECORD_LAST_SEEN = """
      UPDATE users SET last_seen_at = GREATEST(COALESCE(last_seen_at, $2::timestamptz), $2::timestamptz)
      WHERE id = ANY($1::text[])
      """;

  /** The stored last_seen_at of users ($1 text[]) that have one. */
  static final String LAST_SEEN = "SELECT id, last_seen_at FROM users WHERE id = ANY($1::text[]) AND last_seen_at IS NOT NULL";

  /**
   * Archive ($3 true) or unarchive a conversation for one member ($1 conversation, $2 user).
   * found = 0: not a member; changed = 0: already so. Archiving again keeps the first time.
   */
  static final String SET_ARCHIVED = """
      WITH member AS (
        SELECT conversation_id, user_id, archived_at FROM conversation_members
        WHERE conversation_id = $1::uuid AND user_id = $2::text
      ), moved AS (
        UPDATE conversation_members m SET archived_at = CASE WHEN $3::boolean THEN now() ELSE NULL END
        FROM member
        WHERE m.conversation_id = member.conversation_id AND m.user_id = member.user_id
          AND (member.archived_at IS NULL) = $3::boolean
        RETURNING m.archived_at
      )
      SELECT (SELECT count(*) FROM member) AS found,
             (SELECT count(*) FROM moved) AS changed,
             CASE WHEN EXISTS (SELECT 1 FROM moved) THEN (SELECT archived_at FROM moved)
                  ELSE (SELECT archived_at FROM member) END AS archived_at
      """;

  /**
   * A member's conversations, most recently active first ($1 user, $2 archived filter or
   * null for all, $3 row limit (page + 1 to learn has_more), $4 offset).
   */
  static final String LIST_CONVERSATIONS = """
      SELECT %s, m.archived_at AS m_archived_at
      FROM conversation_members m
      JOIN conversations c ON c.id = m.conversation_id
      WHERE m.user_id = $1::text AND ($2::boolean IS NULL OR (m.archived_at IS NOT NULL) = $2::boolean)
      ORDER BY c.updated_at DESC, c.id DESC
      LIMIT $3::int OFFSET $4::int
      """.formatted(columns(CONVERSATION_COLUMNS, "c", "c_"));

  /** Which of the users ($2 text[]) are members of the conversation $1. */
  static final String CHECK_MEMBERS = """
      SELECT user_id FROM conversation_members WHERE conversation_id = $1::uuid AND user_id = ANY($2::text[])
      """;
}
