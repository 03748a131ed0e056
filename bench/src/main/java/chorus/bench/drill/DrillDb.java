package chorus.bench.drill;

import chorus.bench.drill.Verdict.DbMessage;
import chorus.bench.drill.Verdict.Job;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Reads what the drill's conversations hold, straight from PostgreSQL (the schema of
 * verticles/persistence/src/main/resources/db/migration: messages, conversations, reply_jobs).
 * Read-only: the drill never writes to Chorus's database.
 */
final class DrillDb {
  /** A reply job that failed for now: its sender may ask again with {@code retry}. */
  record FailedJob(String conversationId, String userMessageId, String senderId, String lastError) {}

  private final Pool pool;

  DrillDb(Vertx vertx, DrillOptions o) {
    PgConnectOptions connect = o.pgUrl.isEmpty()
        ? new PgConnectOptions().setHost(o.pgHost).setPort(o.pgPort).setDatabase(o.pgDatabase).setUser(o.pgUser).setPassword(o.pgPassword)
        : PgConnectOptions.fromUri(o.pgUrl);
    this.pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(2)).connectingTo(connect).using(vertx).build();
  }

  private static Tuple ids(List<String> conversationIds) {
    return Tuple.of(conversationIds.stream().map(UUID::fromString).toArray(UUID[]::new));
  }

  private static String text(Row row, String column) {
    Object value = row.getValue(column);
    return value == null ? null : value.toString();
  }

  Future<Map<String, List<DbMessage>>> messages(List<String> conversationIds) {
    return pool.preparedQuery("""
            SELECT id, conversation_id, seq, role, sender_id, client_message_id, reply_to_message_id
            FROM messages WHERE conversation_id = ANY($1::uuid[]) ORDER BY conversation_id, seq""")
        .execute(ids(conversationIds))
        .map(rows -> {
          Map<String, List<DbMessage>> byConversation = new LinkedHashMap<>();
          conversationIds.forEach(c -> byConversation.put(c, new ArrayList<>()));
          for (Row row : rows) {
            DbMessage m = new DbMessage(text(row, "id"), text(row, "conversation_id"), row.getLong("seq"), row.getString("role"),
                row.getString("sender_id"), row.getString("client_message_id"), text(row, "reply_to_message_id"));
            byConversation.get(m.conversationId()).add(m);
          }
          return byConversation;
        });
  }

  Future<Map<String, Long>> lastSeqs(List<String> conversationIds) {
    return pool.preparedQuery("SELECT id, last_seq FROM conversations WHERE id = ANY($1::uuid[])")
        .execute(ids(conversationIds))
        .map(rows -> {
          Map<String, Long> lastSeqs = new HashMap<>();
          rows.forEach(row -> lastSeqs.put(text(row, "id"), row.getLong("last_seq")));
          return lastSeqs;
        });
  }

  /** Reply jobs by user message id. */
  Future<Map<String, Job>> jobs(List<String> conversationIds) {
    return pool.preparedQuery("SELECT user_message_id, status, last_error FROM reply_jobs WHERE conversation_id = ANY($1::uuid[])")
        .execute(ids(conversationIds))
        .map(rows -> {
          Map<String, Job> jobs = new HashMap<>();
          rows.forEach(row -> jobs.put(text(row, "user_message_id"),
              new Job(text(row, "user_message_id"), row.getString("status"), row.getString("last_error"))));
          return jobs;
        });
  }

  /** User messages with no stored reply yet, by their job's status ("none" when there is no job). */
  Future<Map<String, Integer>> unanswered(List<String> conversationIds) {
    return pool.preparedQuery("""
            SELECT COALESCE(j.status, 'none') AS status, count(*) AS n
            FROM messages m LEFT JOIN reply_jobs j ON j.user_message_id = m.id
            WHERE m.conversation_id = ANY($1::uuid[]) AND m.role = 'user'
              AND NOT EXISTS (SELECT 1 FROM messages r WHERE r.reply_to_message_id = m.id)
            GROUP BY 1""")
        .execute(ids(conversationIds))
        .map(rows -> {
          Map<String, Integer> counts = new HashMap<>();
          rows.forEach(row -> counts.put(row.getString("status"), row.getLong("n").intValue()));
          return counts;
        });
  }

  /** Failed reply jobs that have stayed failed for a second or more (a client's retry may be on its way meanwhile). */
  Future<List<FailedJob>> failedJobs(List<String> conversationIds) {
    return pool.preparedQuery("""
            SELECT j.conversation_id, j.user_message_id, m.sender_id, j.last_error
            FROM reply_jobs j JOIN messages m ON m.id = j.user_message_id
            WHERE j.conversation_id = ANY($1::uuid[]) AND j.status = 'failed' AND j.updated_at < now() - interval '1 second'""")
        .execute(ids(conversationIds))
        .map(rows -> {
          List<FailedJob> failed = new ArrayList<>();
          rows.forEach(row -> failed.add(new FailedJob(text(row, "conversation_id"), text(row, "user_message_id"),
              row.getString("sender_id"), row.getString("last_error"))));
          return failed;
        });
  }

  Future<Void> close() {
    return pool.close();
  }
}
