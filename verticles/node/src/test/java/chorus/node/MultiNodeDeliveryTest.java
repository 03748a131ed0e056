package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import chorus.node.support.TestCluster;
import chorus.node.support.WsClient;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three real clustered nodes in one JVM, with roles split as a deployment might: node 0
 * runs everything, node 1 only holds sockets, node 2 holds sockets and presence. Sockets
 * on every node see every message of their conversation exactly once, in seq order.
 */
class MultiNodeDeliveryTest {
  static TestCluster cluster;

  @BeforeAll
  static void start() {
    cluster = TestCluster.startRoleSplit();
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void devicesOnThreeNodesEachSeeEachMessageOnce() {
    String token = cluster.token(TestCluster.newUserId());
    String conversationId = cluster.newConversation(token, "Trio", "Helpful across nodes.");
    List<WsClient> devices = new ArrayList<>();
    for (int node = 0; node < 3; node++) {
      devices.add(cluster.openConversation(node, conversationId, token));
    }

    // a message sent through node 1, which has no persistence or AI of its own
    devices.get(1).userMessage("hello from node 1", "n1-1");
    for (WsClient device : devices) {
      JsonObject received = device.next("message_received").getJsonObject("message");
      assertEquals("hello from node 1", received.getString("content"));
      assertEquals(1L, received.getLong("seq"));
      JsonObject reply = device.next("assistant_message").getJsonObject("message");
      assertEquals(2L, reply.getLong("seq"));
    }
    // and one through node 2
    devices.get(2).userMessage("and from node 2", null);
    for (WsClient device : devices) {
      assertEquals(3L, device.next("message_received").getJsonObject("message").getLong("seq"));
      assertEquals(4L, device.next("assistant_message").getJsonObject("message").getLong("seq"));
      device.expectSilence(Duration.ofMillis(500));
    }
    devices.forEach(WsClient::close);
  }

  @Test
  void twoNodesConcurrentSendersSeeOneOrder() {
    String token = cluster.token(TestCluster.newUserId());
    String conversationId = cluster.newConversation(token, "Order", "Keeps order.");
    WsClient a = cluster.openConversation(0, conversationId, token);
    WsClient b = cluster.openConversation(1, conversationId, token);
    int perSender = 15;
    for (int i = 0; i < perSender; i++) {
      a.userMessage("a" + i, "a-" + i);
      b.userMessage("b" + i, "b-" + i);
    }
    // 30 user messages and 30 replies: both sockets see seqs 1..60, once each, in order
    List<Long> seenByA = seqs(a, perSender * 4);
    List<Long> seenByB = seqs(b, perSender * 4);
    List<Long> expected = new ArrayList<>();
    for (long seq = 1; seq <= perSender * 4; seq++) {
      expected.add(seq);
    }
    assertEquals(expected, seenByA);
    assertEquals(expected, seenByB);
    a.expectSilence(Duration.ofMillis(500));
    b.expectSilence(Duration.ofMillis(200));
    a.close();
    b.close();
  }

  private static List<Long> seqs(WsClient ws, int count) {
    List<Long> seqs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      JsonObject frame = ws.next();
      seqs.add(frame.getJsonObject("message").getLong("seq"));
    }
    return seqs;
  }
}
