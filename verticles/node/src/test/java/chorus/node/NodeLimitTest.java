package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.node.support.TestCluster;
import chorus.node.support.WsClient;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code limits.maxSocketsPerNode}: the socket over the cap gets NODE_FULL and 1013; a closed socket frees its place. */
class NodeLimitTest {
  static final int MAX = 3;
  static TestCluster cluster;
  static String token;
  static String conversationId;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(1, config -> config.getJsonObject("limits").put("maxSocketsPerNode", MAX));
    token = cluster.token(TestCluster.newUserId());
    conversationId = cluster.newConversation(token, "Doorman", "You count guests.");
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  private static String path(String query) {
    return "/api/v1/conversations/" + conversationId + "/ws" + query;
  }

  private static void assertNodeFull() {
    TestCluster.Refusal refusal = cluster.refusal(0, path("?token=" + token));
    assertEquals("NODE_FULL", refusal.error().getString("code"), refusal.error()::encode);
    assertEquals(1013, refusal.closeCode());
  }

  /** Opens a socket, retrying while the node has not yet counted a just-closed socket down. */
  private static WsClient openWhenThereIsRoom() {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      WsClient ws = cluster.connect(0, path("?token=" + token));
      JsonObject first = ws.poll(Duration.ofSeconds(5));
      if (first != null && "connection_ack".equals(first.getString("type"))) {
        return ws;
      }
      // refused (NODE_FULL); the frame itself may be lost by this client when the close follows at once
      ws.close();
      assertTrue(System.nanoTime() < deadline, "a closed socket never gave its place back");
      sleep(50);
    }
  }

  @Test
  void theSocketOverTheLimitIsRefusedAndAClosedOneFreesItsPlace() {
    List<WsClient> open = new ArrayList<>();
    for (int i = 0; i < MAX; i++) {
      open.add(openWhenThereIsRoom());
    }
    assertNodeFull();
    // the open ones are unaffected
    open.get(0).userMessage("still served", null);
    assertEquals("still served", open.get(0).next("message_received").getJsonObject("message").getString("content"));

    // closing one makes room for exactly one more
    WsClient leaving = open.remove(0);
    leaving.close();
    leaving.awaitClose();
    open.add(openWhenThereIsRoom());
    assertNodeFull();

    // sockets refused during authentication are counted while open and counted down once closed
    WsClient freed = open.remove(0);
    freed.close();
    freed.awaitClose();
    for (int i = 0; i < 5; i++) {
      TestCluster.Refusal refused = cluster.refusal(0, path(""));
      assertTrue(List.of("AUTH_REQUIRED", "NODE_FULL").contains(refused.error().getString("code")), refused.error()::encode);
    }
    open.add(openWhenThereIsRoom());
    assertNodeFull();
    open.forEach(WsClient::close);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
