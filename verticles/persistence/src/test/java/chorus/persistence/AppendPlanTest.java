package chorus.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.shared.Addresses;
import chorus.shared.bus.AppendMessage;
import chorus.shared.bus.AppendResult;
import chorus.shared.bus.CreateBot;
import chorus.shared.bus.CreateConversation;
import chorus.shared.domain.Bot;
import chorus.shared.domain.BotKind;
import chorus.shared.domain.Conversation;
import chorus.shared.domain.Role;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The append statements, what they read and what they write. On a database that starts empty, as a new deployment's does:
 * PostgreSQL makes their plans on the append connections from the statistics of the
 * moment, and a plan made on empty tables (hashing every message, or walking all of a
 * conversation's messages to find a client id) would make each append slower as the
 * conversation grows, for as long as the connection lives. After pg.appendPlanLifetimeMs the
 * connections are replaced and an append reads only the rows it looks up by key. Measured by
 * PostgreSQL's own counters of the rows and index entries read on {@code messages}, in a schema
 * of the test's own (so the tables really are empty when the first plan is made).
 */
class AppendPlanTest {
  static final int FILLER = 3000;
  static final int APPENDS = 40;
  static final long TIMEOUT_S = 30;

  @Test
  void appendsReadAFewRowsHoweverLongTheConversationOnceTheirPlansAreRemade() throws Exception {
    Vertx vertx = Vertx.vertx();
    String schema = "plan_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    JsonObject config = PersistenceTestBase.testConfig();
    config.getJsonObject("pg").put("schema", schema).put("appendConnections", 2).put("appendPlanLifetimeMs", 1000);
    PersistenceConfig settings = PersistenceConfig.from(config);
    Pool fixtures = PgBuilder.pool().connectingTo(settings.connectOptions()).using(vertx).build();
    try {
      await(vertx.deployVerticle(new PersistenceVerticle(), new DeploymentOptions().setConfig(config)));
      String owner = "user-" + UUID.randomUUID();
      Bot bot = ask(vertx, Addresses.CREATE_BOT, new CreateBot(owner, "Owner", "user", "bot", BotKind.SURVEY, "terse", Map.of(), false));
      Conversation conversation = ask(vertx, Addresses.CREATE_CONVERSATION, new CreateConversation(owner, "Owner", "user", bot.id(), "t"));
      // the first appends plan the statements on empty tables
      appendBurst(vertx, conversation, "first");

      // the conversation grows long, then the plans' lifetime passes (no ANALYZE: that would make
      // PostgreSQL plan again anyway, which autovacuum does only every so often)
      await(fixtures.preparedQuery("""
          INSERT INTO messages (id, conversation_id, seq, role, sender_id, content, meta, client_message_id)
          SELECT gen_random_uuid(), $1::uuid, c.last_seq + g, 'user', $2::text, 'filler ' || g, '{}'::jsonb, 'filler-' || g
          FROM conversations c, generate_series(1, $3::int) g WHERE c.id = $1::uuid""")
          .execute(Tuple.of(conversation.id(), owner, FILLER)));
      await(fixtures.preparedQuery("UPDATE conversations SET last_seq = last_seq + $2::int WHERE id = $1::uuid")
          .execute(Tuple.of(conversation.id(), FILLER)));
      Thread.sleep(2500);
      // these run on connections opened after the lifetime, and mostly batched (APPEND_MANY)
      appendBurst(vertx, conversation, "settle");

      // a backend reports its counters at most once a second: wait until every insert so far shows
      awaitInserted(fixtures, schema, APPENDS + FILLER + APPENDS);
      long before = readsOnMessages(fixtures, schema);
      appendBurst(vertx, conversation, "measured");
      awaitInserted(fixtures, schema, APPENDS + FILLER + 2 * APPENDS);
      long read = readsOnMessages(fixtures, schema) - before;
      assertTrue(read < APPENDS * 10L, "the " + APPENDS + " appends read " + read
          + " rows and index entries of messages, in a conversation of " + FILLER + ": the plans walk the conversation");
    } finally {
      await(fixtures.query("DROP SCHEMA IF EXISTS " + schema + " CASCADE").execute());
      await(fixtures.close());
      await(vertx.close());
    }
  }

  /**
   * What an append writes besides its message: the conversation's bump (last_seq, updated_at)
   * is a heap-only update, with no new index entries, and the message's id is time-ordered
   * (version 7), so its primary-key entry goes at the end of the index. Counted by PostgreSQL's
   * own statistics in a schema of the test's own.
   */
  @Test
  void anAppendBumpsItsConversationInPlaceAndItsIdIsTimeOrdered() throws Exception {
    Vertx vertx = Vertx.vertx();
    String schema = "bump_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    JsonObject config = PersistenceTestBase.testConfig();
    config.getJsonObject("pg").put("schema", schema).put("appendConnections", 2);
    Pool fixtures = PgBuilder.pool().connectingTo(PersistenceConfig.from(config).connectOptions()).using(vertx).build();
    try {
      await(vertx.deployVerticle(new PersistenceVerticle(), new DeploymentOptions().setConfig(config)));
      String owner = "user-" + UUID.randomUUID();
      Bot bot = ask(vertx, Addresses.CREATE_BOT, new CreateBot(owner, "Owner", "user", "bot", BotKind.SURVEY, "terse", Map.of(), false));
      int conversations = 3;
      int bursts = 4;
      long startMillis = System.currentTimeMillis();
      List<AppendResult> stored = new ArrayList<>();
      for (int c = 0; c < conversations; c++) {
        Conversation conversation = ask(vertx, Addresses.CREATE_CONVERSATION, new CreateConversation(owner, "Owner", "user", bot.id(), "t" + c));
        for (int b = 0; b < bursts; b++) {
          stored.addAll(appendBurst(vertx, conversation, "burst" + b));
        }
      }
      long endMillis = System.currentTimeMillis();
      awaitInserted(fixtures, schema, (long) conversations * bursts * APPENDS);

      Row counts = await(fixtures.preparedQuery("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'conversations'")
          .execute(Tuple.of(schema))).iterator().next();
      long updates = counts.getLong("n_tup_upd");
      long heapOnly = counts.getLong("n_tup_hot_upd");
      // one bump per batch: at least one per burst, at most one per append
      assertTrue(updates >= conversations * bursts, "conversation updates counted: " + updates);
      assertTrue(heapOnly >= updates * 9 / 10, heapOnly + " of " + updates + " conversation bumps were heap-only (HOT)");

      for (AppendResult result : stored) {
        UUID id = result.message().id();
        assertEquals(7, id.version(), "message id " + id);
        long millis = id.getMostSignificantBits() >>> 16;
        assertTrue(millis >= startMillis && millis <= endMillis, "message id " + id + " tells when it was made: " + millis
            + ", not between " + startMillis + " and " + endMillis);
      }
    } finally {
      await(fixtures.query("DROP SCHEMA IF EXISTS " + schema + " CASCADE").execute());
      await(fixtures.close());
      await(vertx.close());
    }
  }

  /** APPENDS appends at once (so most are committed in batches), each answered. */
  private static List<AppendResult> appendBurst(Vertx vertx, Conversation conversation, String label) {
    List<Future<AppendResult>> results = new ArrayList<>();
    for (int i = 0; i < APPENDS; i++) {
      AppendMessage message = new AppendMessage(conversation.id(), conversation.ownerId(), Role.USER, conversation.ownerId(),
          label + " " + i, Map.of(), label + "-" + i, false, null, null, null);
      results.add(vertx.eventBus().<AppendResult>request(Addresses.APPEND, message, new DeliveryOptions().setSendTimeout(TIMEOUT_S * 1000))
          .map(reply -> reply.body()));
    }
    await(Future.all(results));
    return results.stream().map(Future::result).toList();
  }

  /** Rows read by sequential scans and entries read from indexes of messages, as PostgreSQL counts them. */
  private static long readsOnMessages(Pool fixtures, String schema) {
    Row row = await(fixtures.preparedQuery("""
        SELECT coalesce(t.seq_tup_read, 0) + coalesce((SELECT sum(i.idx_tup_read) FROM pg_stat_user_indexes i
                                                        WHERE i.relid = t.relid), 0) AS reads
        FROM pg_stat_user_tables t WHERE t.schemaname = $1 AND t.relname = 'messages'""").execute(Tuple.of(schema))).iterator().next();
    return row.getLong("reads");
  }

  /** Waits until PostgreSQL's counters show {@code rows} inserted into messages (and so the reads of the same transactions). */
  private static void awaitInserted(Pool fixtures, String schema, long rows) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    long inserted;
    while ((inserted = inserted(fixtures, schema)) < rows && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    assertEquals(rows, inserted, "rows inserted into messages, as PostgreSQL's statistics show them");
  }

  private static long inserted(Pool fixtures, String schema) {
    return await(fixtures.preparedQuery("SELECT n_tup_ins FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'messages'")
        .execute(Tuple.of(schema))).iterator().next().getLong(0);
  }

  @SuppressWarnings("unchecked")
  private static <R> R ask(Vertx vertx, String address, Object body) {
    return (R) await(vertx.eventBus().request(address, body, new DeliveryOptions().setSendTimeout(TIMEOUT_S * 1000))).body();
  }

  private static <T> T await(Future<T> future) {
    try {
      return future.await(TIMEOUT_S, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no answer within " + TIMEOUT_S + "s", e);
    }
  }
}
