package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import chorus.node.support.Await;
import chorus.node.support.TestCluster;
import chorus.node.support.WsClient;
import chorus.shared.Addresses;
import chorus.shared.bus.MessageAppended;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/**
 * With a persistence role on every node, the appends of one conversation, sent through
 * sockets on all of them, are committed by one role (the one every gateway hashes the
 * conversation to), so they are batched together rather than queueing on the
 * conversation's row lock from three nodes.
 */
class AppendRoutingTest {

  @Test
  void aConversationsAppendsFromEveryNodeAreCommittedByOneRole() {
    try (TestCluster cluster = TestCluster.create(3, config -> {})) {
      for (int i = 0; i < 3; i++) {
        cluster.addNode(EnumSet.of(NodeRole.GATEWAY, NodeRole.PERSISTENCE, NodeRole.PRESENCE));
      }
      String token = cluster.token(TestCluster.newUserId());
      String conversationId = cluster.newConversation(token, "Routed", "One writer.", "survey");
      List<WsClient> sockets = new ArrayList<>();
      for (int node = 0; node < 3; node++) {
        sockets.add(cluster.openConversation(node, conversationId, token));
      }
      Queue<String> committers = new ConcurrentLinkedQueue<>();
      Await.result(cluster.node(0).vertx().eventBus().<Object>consumer(Addresses.conversationTopic(UUID.fromString(conversationId)), message -> {
        if (message.body() instanceof MessageAppended appended) {
          committers.add(appended.committedBy());
        }
      }).completion());

      // every persistence role says it is up once a second: until each gateway has heard all
      // three, a gateway may still pick another one
      int[] sent = {0};
      Await.until("all three gateways send to one role", Duration.ofSeconds(10), () -> {
        committers.clear();
        for (WsClient from : sockets) {
          send(sockets, from, "probe " + sent[0]++);
        }
        return committers.size() == 3 && new HashSet<>(committers).size() == 1;
      });
      committers.clear();
      for (int i = 0; i < 10; i++) {
        for (WsClient from : sockets) {
          send(sockets, from, "m" + sent[0]++);
        }
      }
      // the test's own subscriber may hear of the last ones a moment after the sockets did
      Await.until("thirty commits heard", Duration.ofSeconds(5), () -> committers.size() == 30);
      Set<String> roles = new HashSet<>(committers);
      assertEquals(1, roles.size(), () -> "committed by " + roles);
      sockets.forEach(WsClient::close);
    }
  }

  /** Sends from one socket and waits until every socket has the stored message. */
  private static void send(List<WsClient> sockets, WsClient from, String content) {
    from.userMessage(content, content);
    for (WsClient socket : sockets) {
      while (true) {
        JsonObject frame = socket.next();
        if (frame.getString("type").equals("message_received") && content.equals(frame.getJsonObject("message").getString("content"))) {
          break;
        }
      }
    }
  }
}
