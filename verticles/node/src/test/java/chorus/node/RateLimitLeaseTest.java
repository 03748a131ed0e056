package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.node.support.TestCluster;
import chorus.node.support.WsClient;
import chorus.shared.Addresses;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A node takes a user's message tokens from the cluster-wide bucket a few at a time
 * (limits.rateLimitLease, at most a quarter of the burst) and keeps the rest for the user's
 * next messages: fewer cluster operations, and never more messages than the allowance.
 */
class RateLimitLeaseTest {
  static TestCluster cluster;
  static final AtomicInteger takesFromNodeZero = new AtomicInteger();

  @BeforeAll
  static void start() {
    // a burst of 20 that does not refill within the test: leases of min(8, 20 / 4) = 5
    cluster = TestCluster.start(2, config -> config.getJsonObject("limits")
        .put("messagesPerSecond", 0.001)
        .put("messageBurst", 20)
        .put("rateLimitLease", 8)
        .put("rateLimitStrikes", 100));
    cluster.node(0).vertx().eventBus().addOutboundInterceptor(delivery -> {
      if (delivery.message().address().equals(Addresses.RATE_LIMIT_TAKE)) {
        takesFromNodeZero.incrementAndGet();
      }
      delivery.next();
    });
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void oneSocketGetsTheWholeBurstInAFewClusterTakes() {
    String token = cluster.token(TestCluster.newUserId());
    String conversationId = cluster.newConversation(token, "Lease", "Counts.", "survey");
    WsClient ws = cluster.openConversation(0, conversationId, token);
    takesFromNodeZero.set(0);
    int accepted = 0;
    int refused = 0;
    for (int i = 0; i < 25; i++) {
      ws.userMessage("m" + i, "lease-" + i);
      JsonObject answer = answerTo(ws, "m" + i);
      if (answer.getString("type").equals("message_received")) {
        accepted++;
      } else {
        assertEquals("RATE_LIMITED", answer.getString("code"));
        refused++;
      }
    }
    assertEquals(20, accepted, "the whole burst, no more");
    assertEquals(5, refused);
    // four leases of five, then one refused take per refused message: not one take per message
    assertEquals(4 + 5, takesFromNodeZero.get());
    assertEquals(20, cluster.get(0, "/api/v1/conversations/" + conversationId + "/messages", token).body()
        .getJsonArray("messages").size());
    ws.close();
  }

  @Test
  void socketsOnTwoNodesNeverGetMoreThanTheAllowance() {
    String token = cluster.token(TestCluster.newUserId());
    String conversationId = cluster.newConversation(token, "Shared", "Counts.", "survey");
    WsClient a = cluster.openConversation(0, conversationId, token);
    WsClient b = cluster.openConversation(1, conversationId, token);
    int accepted = 0;
    for (int i = 0; i < 40; i++) {
      WsClient ws = i % 2 == 0 ? a : b;
      ws.userMessage("m" + i, "shared-" + i);
      if (answerTo(ws, "m" + i).getString("type").equals("message_received")) {
        accepted++;
      }
    }
    // each node may hold up to four tokens it took and did not use: those are lost, not doubled
    assertTrue(accepted <= 20 && accepted >= 20 - 2 * 4, "accepted " + accepted);
    assertEquals(accepted, cluster.get(0, "/api/v1/conversations/" + conversationId + "/messages", token).body()
        .getJsonArray("messages").size());
    a.close();
    b.close();
  }

  /**
   * What a socket was answered for the message it sent: its error, or the message_received
   * holding it (every socket of the conversation gets each stored message: others are skipped).
   */
  private static JsonObject answerTo(WsClient ws, String content) {
    while (true) {
      JsonObject frame = ws.next();
      String type = frame.getString("type");
      if (type.equals("error")
          || type.equals("message_received") && content.equals(frame.getJsonObject("message").getString("content"))) {
        return frame;
      }
    }
  }
}
