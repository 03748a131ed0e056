package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.node.support.Await;
import chorus.node.support.SqlQueryCounter;
import chorus.node.support.TestCluster;
import chorus.node.support.WsClient;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Limits checked before any provider call: a user's concurrent generations and daily
 * tokens (cluster-wide, in PostgreSQL), and a node's own generation slots with a bounded
 * queue. Each refusal is an error with its code on the conversation; the user message stays
 * stored and a retry answers it once the limit allows.
 */
class AiLimitsTest {

  static String firstUserMessageId(WsClient ws) {
    return ws.next("message_received").getJsonObject("message").getString("id");
  }

  /** Reads frames until the assistant_message, dropping deltas. */
  static JsonObject reply(WsClient ws) {
    while (true) {
      JsonObject frame = ws.next();
      if ("assistant_message".equals(frame.getString("type"))) {
        return frame.getJsonObject("message");
      }
      if (!"assistant_delta".equals(frame.getString("type"))) {
        throw new AssertionError("unexpected frame: " + frame.encode());
      }
    }
  }

  static void awaitFirstDelta(WsClient ws) {
    assertEquals("assistant_delta", ws.next().getString("type"));
  }

  @Test
  void perUserConcurrencyAndDailyQuotaAreEnforcedAcrossNodes() {
    try (TestCluster cluster = TestCluster.start(3, config -> config.getJsonObject("ai")
        .put("localDeltaDelayMs", 60).put("maxConcurrentPerUser", 1).put("dailyTokenQuota", 300))) {
      // one user, two conversations on two nodes: the second generation waits for the first
      String token = cluster.token(TestCluster.newUserId());
      String first = cluster.newConversation(token, "One", "Short.");
      String second = cluster.newConversation(token, "Two", "Short.");
      WsClient a = cluster.connect(0, "/api/v1/conversations/" + first + "/ws?stream=true&token=" + token);
      a.next("connection_ack");
      WsClient b = cluster.openConversation(2, second, token);
      a.userMessage("first", null);
      firstUserMessageId(a);
      awaitFirstDelta(a);
      b.userMessage("second", null);
      String secondId = firstUserMessageId(b);
      JsonObject tooMany = b.next("error");
      assertEquals("AI_TOO_MANY_GENERATIONS", tooMany.getString("code"));
      assertEquals(secondId, tooMany.getString("reply_to"));
      reply(a);
      b.send(new JsonObject().put("type", "retry").put("message_id", secondId));
      assertEquals(secondId, b.next("assistant_message").getJsonObject("message").getString("reply_to"));

      // a user whose first reply alone (a long persona in every prompt) uses more than the day's 300 tokens
      String heavyToken = cluster.token(TestCluster.newUserId());
      String heavy = cluster.newConversation(heavyToken, "Heavy", "You are verbose. " + "Consider every detail. ".repeat(60));
      WsClient h = cluster.openConversation(1, heavy, heavyToken);
      h.userMessage("first, admitted", null);
      firstUserMessageId(h);
      JsonObject meta = h.next("assistant_message").getJsonObject("message").getJsonObject("meta");
      assertTrue(meta.getLong("prompt_tokens") > 300, meta::encode);
      h.userMessage("second, over the quota", null);
      String overId = firstUserMessageId(h);
      JsonObject quota = h.next("error");
      assertEquals("AI_QUOTA_EXCEEDED", quota.getString("code"));
      assertEquals(overId, quota.getString("reply_to"));
      h.expectSilence(Duration.ofMillis(500));
      h.close();

      // another user is not affected
      String otherToken = cluster.token(TestCluster.newUserId());
      String other = cluster.newConversation(otherToken, "Other", "Short.");
      WsClient c = cluster.openConversation(1, other, otherToken);
      c.userMessage("mine", null);
      c.next("message_received");
      c.next("assistant_message");
      a.close();
      b.close();
      c.close();
    }
  }

  @Test
  void aFullNodeAnswersAiBusyInsteadOfQueueingWithoutBound() {
    try (TestCluster cluster = TestCluster.create(3, config -> config.getJsonObject("ai")
        .put("localDeltaDelayMs", 60).put("maxConcurrentGenerations", 1).put("maxQueuedGenerations", 1))) {
      cluster.addNode(EnumSet.allOf(NodeRole.class));
      WsClient[] sockets = new WsClient[3];
      String[] userMessages = new String[3];
      for (int i = 0; i < 3; i++) {
        String token = cluster.token(TestCluster.newUserId());
        String conversation = cluster.newConversation(token, "Busy" + i, "Short.");
        sockets[i] = cluster.connect(0, "/api/v1/conversations/" + conversation + "/ws?stream=true&token=" + token);
        sockets[i].next("connection_ack");
      }
      // one generating, one queued, the third refused
      sockets[0].userMessage("one", null);
      userMessages[0] = firstUserMessageId(sockets[0]);
      awaitFirstDelta(sockets[0]);
      sockets[1].userMessage("two", null);
      userMessages[1] = firstUserMessageId(sockets[1]);
      sockets[2].userMessage("three", null);
      userMessages[2] = firstUserMessageId(sockets[2]);
      JsonObject busy = sockets[2].next("error");
      assertEquals("AI_BUSY", busy.getString("code"));
      assertEquals(userMessages[2], busy.getString("reply_to"));

      assertEquals(userMessages[0], reply(sockets[0]).getString("reply_to"));
      assertEquals(userMessages[1], reply(sockets[1]).getString("reply_to"));
      sockets[2].send(new JsonObject().put("type", "retry").put("message_id", userMessages[2]));
      assertEquals(userMessages[2], reply(sockets[2]).getString("reply_to"));
      for (WsClient ws : sockets) {
        ws.close();
      }
    }
  }

  /**
   * What the per-user limits cost, measured: nothing. With both limits on (the production
   * defaults) an exchange is still three statements: the user message, the claim that also
   * admits (both limits checked in it), the reply that also adds its tokens to the day's usage.
   */
  @Test
  void theLimitsCostNoStatementOfTheirOwn() {
    SqlQueryCounter counter = new SqlQueryCounter();
    try (TestCluster cluster = TestCluster.create(3, config -> {
      config.getJsonObject("ai").put("maxConcurrentPerUser", 2).put("dailyTokenQuota", 100_000).put("sweepIntervalMs", 600_000);
      // no periodic or settle-time reads of the feed in the counted exchange
      config.getJsonObject("delivery").put("tailCheckMs", 0).put("subscriptionSettleMs", 10);
    })) {
      cluster.addNode(EnumSet.allOf(NodeRole.class), counter);
      String token = cluster.token(TestCluster.newUserId());
      WsClient ws = cluster.openConversation(0, cluster.newConversation(token, "Counted", "Short."), token);
      ws.userMessage("warm up", null);
      ws.next("message_received");
      ws.next("assistant_message");
      Await.until("quiet", Duration.ofSeconds(10), quiet(counter));
      counter.reset();
      ws.userMessage("counted", null);
      ws.next("message_received");
      ws.next("assistant_message");
      Await.until("quiet", Duration.ofSeconds(10), quiet(counter));
      List<String> statements = counter.statements();
      assertEquals(3, statements.size(), statements::toString);
      assertTrue(statements.stream().noneMatch(AiLimitsTest::isTransactionControl), statements::toString);
      // the limits are really in those statements: the claim admits, the reply counts tokens
      assertTrue(statements.get(1).contains("INSERT INTO ai_running"), statements::toString);
      assertTrue(statements.get(2).contains("INSERT INTO ai_usage"), statements::toString);
      ws.close();
    }
  }

  private static boolean isTransactionControl(String sql) {
    String head = sql.strip().toUpperCase(java.util.Locale.ROOT);
    return head.startsWith("BEGIN") || head.startsWith("COMMIT") || head.startsWith("ROLLBACK");
  }

  /** True once no statement has been sent for half a second. */
  private static java.util.function.BooleanSupplier quiet(SqlQueryCounter counter) {
    int[] last = {-1};
    long[] since = {System.nanoTime()};
    return () -> {
      int now = counter.count();
      if (now != last[0]) {
        last[0] = now;
        since[0] = System.nanoTime();
      }
      return System.nanoTime() - since[0] > 500_000_000L;
    };
  }
}
