package chorus.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import chorus.shared.Addresses;
import chorus.shared.Failures;
import chorus.shared.bus.AppendMessage;
import chorus.shared.bus.AppendResult;
import chorus.shared.bus.ClaimReplyJob;
import chorus.shared.bus.ConnectContext;
import chorus.shared.bus.ConnectContextRequest;
import chorus.shared.bus.CreateBot;
import chorus.shared.bus.CreateConversation;
import chorus.shared.bus.HistoryPage;
import chorus.shared.bus.HistoryRequest;
import chorus.shared.domain.Bot;
import chorus.shared.domain.BotKind;
import chorus.shared.domain.Conversation;
import chorus.shared.domain.Role;
import chorus.shared.domain.StoredMessage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Deploys the real verticle on a plain Vertx against the real {@code chorus_test}
 * database; tests talk to it only through the event bus. Every test makes its own users,
 * bots and conversations (random ids), so leftovers of earlier runs never matter.
 * Test threads block on futures ({@code await}); the event loops never do.
 */
@ExtendWith(VertxExtension.class)
abstract class PersistenceTestBase {
  static final int PAGE_SIZE = 5;
  static final int PAGE_MAX = 8;
  static final long TIMEOUT_SECONDS = 20;

  static Vertx vertx;
  /** Direct database access, only to arrange what the bus cannot (back-dating a row). */
  static Pool fixtures;

  static JsonObject testConfig() {
    String url = System.getenv().getOrDefault("CHORUS_TEST_PG_URL", "");
    return new JsonObject()
        .put("node", new JsonObject().put("id", "persistence-test"))
        .put("pg", new JsonObject().put("url", url).put("host", "127.0.0.1").put("port", 5432)
            .put("database", System.getenv().getOrDefault("CHORUS_TEST_PG_DATABASE", "chorus_test")).put("user", "chorus").put("password", "chorus")
            .put("poolSize", 4).put("migrate", true))
        .put("limits", new JsonObject().put("historyPageSize", PAGE_SIZE).put("historyPageMax", PAGE_MAX));
  }

  @BeforeAll
  static void deploy(Vertx injected) throws Exception {
    vertx = injected;
    JsonObject config = testConfig();
    vertx.deployVerticle(new PersistenceVerticle(), new io.vertx.core.DeploymentOptions().setConfig(config))
        .await(60, TimeUnit.SECONDS);
    fixtures = PgBuilder.pool().connectingTo(PersistenceConfig.from(config).connectOptions()).using(vertx).build();
  }

  @AfterAll
  static void closeFixtures() throws Exception {
    fixtures.close().await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  static <T> T await(Future<T> future) {
    try {
      return future.await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no answer within " + TIMEOUT_SECONDS + "s", e);
    }
  }

  /** Request/reply on the bus, as a caller (gateway, AI verticle) does it. */
  @SuppressWarnings("unchecked")
  static <R> Future<R> ask(String address, Object body) {
    return vertx.eventBus().<Object>request(address, body, new DeliveryOptions().setSendTimeout(TIMEOUT_SECONDS * 1000))
        .map(message -> (R) message.body());
  }

  static <R> R call(String address, Object body) {
    return await(ask(address, body));
  }

  /** The failure code a request is refused with; fails the test when it succeeds. */
  static int failureOf(String address, Object body) {
    Future<Object> result = ask(address, body);
    try {
      Object reply = result.await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      return fail("expected a failure, got " + reply);
    } catch (Exception e) {
      int code = Failures.codeOf(e);
      if (code < 0) {
        throw new AssertionError("expected a reply failure, got " + e, e);
      }
      return code;
    }
  }

  static String newUser() {
    return "user-" + UUID.randomUUID();
  }

  static Bot createBot(String owner, BotKind kind, boolean isPublic) {
    return call(Addresses.CREATE_BOT, new CreateBot(owner, "Name of " + owner, "user", "bot of " + owner, kind,
        "You are terse.", Map.of("model", "local"), isPublic));
  }

  static Conversation createConversation(String owner, UUID botId) {
    return call(Addresses.CREATE_CONVERSATION, new CreateConversation(owner, "Name of " + owner, "user", botId, "a title"));
  }

  /** A conversation of a new user with a new bot of the given kind. */
  static Conversation newConversation(BotKind kind) {
    String owner = newUser();
    return createConversation(owner, createBot(owner, kind, false).id());
  }

  /** A user message that does not ask for a reply (most tests do not care about jobs). */
  static AppendMessage quiet(Conversation conversation, String content, String clientMessageId) {
    return new AppendMessage(conversation.id(), conversation.ownerId(), Role.USER, conversation.ownerId(), content,
        Map.of(), clientMessageId, false, null, null, null);
  }

  /** What the AI verticle appends as the answer to a job it holds. */
  static AppendMessage reply(Conversation conversation, UUID jobId, String node, String content) {
    return new AppendMessage(conversation.id(), null, Role.ASSISTANT, "bot", content, Map.of(), null, false, null, jobId, node);
  }

  /** Answers a job, so that test runs leave no pending job behind for other modules' sweeps. */
  static void finish(Conversation conversation, UUID jobId) {
    call(Addresses.CLAIM_REPLY_JOB, new ClaimReplyJob(jobId, "cleanup", 30_000, 1));
    append(reply(conversation, jobId, "cleanup", "cleanup"));
  }

  static AppendResult append(AppendMessage message) {
    AppendResult result = call(Addresses.APPEND, message);
    assertNotNull(result.message());
    return result;
  }

  static long lastSeq(Conversation conversation) {
    ConnectContext context = call(Addresses.CONNECT_CONTEXT, new ConnectContextRequest(conversation.id(), conversation.ownerId()));
    return context.conversation().lastSeq();
  }

  static HistoryPage history(Conversation conversation, Long afterSeq, Long beforeSeq, int limit) {
    return call(Addresses.HISTORY, new HistoryRequest(conversation.id(), conversation.ownerId(), afterSeq, beforeSeq, limit));
  }

  /** Every message of the conversation, oldest first, read page by page. */
  static List<StoredMessage> allMessages(Conversation conversation) {
    List<StoredMessage> all = new ArrayList<>();
    boolean more = true;
    while (more) {
      HistoryPage page = history(conversation, all.isEmpty() ? null : all.get(all.size() - 1).seq(), null, PAGE_MAX);
      all.addAll(page.messages());
      more = page.hasMore();
    }
    return all;
  }

  /** Arranges a row the bus cannot: makes a job look created long ago. */
  static void backdateJob(UUID jobId, long seconds) {
    var rows = await(fixtures.preparedQuery(
            "UPDATE reply_jobs SET created_at = now() - $2::bigint * interval '1 second' WHERE id = $1::uuid")
        .execute(Tuple.of(jobId, seconds)));
    assertEquals(1, rows.rowCount());
  }
}
