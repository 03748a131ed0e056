package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.node.support.TestCluster;
import chorus.node.support.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * The reply is driven by the job stored with the user message: when no AI worker is
 * running, the message is stored and acknowledged, and the reply comes once a worker
 * joins the cluster, exactly once.
 */
class ReplyJobTest {

  @Test
  void aMessageSentWhileNoAiRunsIsAnsweredWhenOneJoins() {
    try (TestCluster cluster = TestCluster.create(4, config -> {})) {
      cluster.addNode(EnumSet.of(NodeRole.GATEWAY, NodeRole.PERSISTENCE, NodeRole.PRESENCE));
      String token = cluster.token(TestCluster.newUserId());
      String conversationId = cluster.newConversation(token, "Late", "Arrives late but answers.");
      WsClient ws = cluster.openConversation(0, conversationId, token);

      ws.userMessage("anyone there?", "late-1");
      assertEquals(1L, ws.next("message_received").getJsonObject("message").getLong("seq"));
      ws.expectSilence(Duration.ofMillis(1500));

      cluster.addNode(EnumSet.of(NodeRole.AI));
      JsonObject reply = ws.next("assistant_message").getJsonObject("message");
      assertEquals(2L, reply.getLong("seq"));
      assertTrue(reply.getString("content").contains("anyone there?"));
      ws.expectSilence(Duration.ofMillis(2500));

      JsonArray messages = cluster.get(0, "/api/v1/conversations/" + conversationId + "/messages", token).body().getJsonArray("messages");
      assertEquals(2, messages.size());
      ws.close();
    }
  }

  @Test
  void twoAiWorkersNeverAnswerTwice() {
    try (TestCluster cluster = TestCluster.create(4, config -> {})) {
      cluster.addNode(EnumSet.allOf(NodeRole.class));
      cluster.addNode(EnumSet.of(NodeRole.AI));
      String token = cluster.token(TestCluster.newUserId());
      String conversationId = cluster.newConversation(token, "Duo", "Two workers, one answer.");
      WsClient ws = cluster.openConversation(0, conversationId, token);
      int messages = 10;
      for (int i = 0; i < messages; i++) {
        ws.userMessage("question " + i, "q-" + i);
      }
      int replies = 0;
      for (int i = 0; i < messages * 2; i++) {
        if (ws.next().getString("type").equals("assistant_message")) {
          replies++;
        }
      }
      assertEquals(messages, replies);
      // the sweep runs every second on both workers: still nothing more after a few rounds
      ws.expectSilence(Duration.ofMillis(3000));
      JsonArray stored = cluster.get(0, "/api/v1/conversations/" + conversationId + "/messages?limit=100", token).body().getJsonArray("messages");
      assertEquals(messages * 2, stored.size());
      ws.close();
    }
  }
}
