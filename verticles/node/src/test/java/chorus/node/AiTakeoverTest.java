package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.node.support.Await;
import chorus.node.support.ReplyFrames;
import chorus.node.support.TestCluster;
import chorus.node.support.WsClient;
import chorus.shared.Addresses;
import chorus.shared.bus.ReleaseReplyJob;
import chorus.shared.bus.ReplyDelta;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * Exactly one reply per user message, whatever dies: the node generating a reply is killed
 * mid-stream (its Hazelcast member terminated, its verticles gone); another node takes the
 * job over and generates again, and the conversation ends with exactly one stored reply,
 * seen once by a socket on a surviving node.
 */
class AiTakeoverTest {

  @Test
  void killingTheGeneratingNodeMidStreamStillGivesExactlyOneReply() {
    try (TestCluster cluster = TestCluster.create(5, config -> config.getJsonObject("ai")
        .put("localDeltaDelayMs", 100).put("leaseMs", 1500))) {
      cluster.addNode(EnumSet.of(NodeRole.GATEWAY, NodeRole.PERSISTENCE, NodeRole.PRESENCE));
      // node 1 streams slowly (a second a word): still mid-stream however long node 2 takes to start
      cluster.addNodeWith(EnumSet.of(NodeRole.AI), config -> config.getJsonObject("ai").put("localDeltaDelayMs", 1000));
      String token = cluster.token(TestCluster.newUserId());
      String conversationId = cluster.newConversation(token, "Survivor", "You survive.");
      WsClient ws = cluster.connect(0, "/api/v1/conversations/" + conversationId + "/ws?stream=true&token=" + token);
      ws.next("connection_ack");

      ws.userMessage("answer me exactly once", "once-1");
      String userMessageId = ws.next("message_received").getJsonObject("message").getString("id");
      JsonObject firstDelta = ws.next("assistant_delta");
      String firstStream = firstDelta.getString("stream_id");
      // a second AI node joins while node 1 streams; it must not take the job while node 1 holds the lease
      cluster.addNode(EnumSet.of(NodeRole.AI));
      cluster.kill(1);

      // node 1 had begun streaming (firstDelta) and could not have finished (a second a word):
      // the stored reply must be another stream's, attempt 2
      ReplyFrames seen = ReplyFrames.read(ws, "assistant_message");
      String secondStream = seen.lastStream().get(0).getString("stream_id");
      assertNotEquals(firstStream, secondStream, "the reply was generated again by the surviving AI node");
      JsonObject reply = seen.message();
      assertEquals(userMessageId, reply.getString("reply_to"));
      assertEquals(reply.getString("content"), seen.streamedText());
      assertEquals(2, reply.getJsonObject("meta").getInteger("attempt"));
      ws.expectSilence(Duration.ofSeconds(3));

      JsonArray stored = cluster.get(0, "/api/v1/conversations/" + conversationId + "/messages", token).body().getJsonArray("messages");
      assertEquals(2, stored.size(), stored::encode);
      assertEquals(userMessageId, stored.getJsonObject(1).getString("reply_to"));
      ws.close();
    }
  }

  @Test
  void aDrainingNodeGivesItsJobBackSoAnotherContinuesAtOnce() {
    // a lease far longer than any frame wait: only the drained node's release lets the other node answer in time
    try (TestCluster cluster = TestCluster.create(5, config -> config.getJsonObject("ai")
        .put("localDeltaDelayMs", 150).put("leaseMs", 120_000))) {
      cluster.addNode(EnumSet.of(NodeRole.GATEWAY, NodeRole.PERSISTENCE, NodeRole.PRESENCE));
      cluster.addNode(EnumSet.of(NodeRole.AI));
      String token = cluster.token(TestCluster.newUserId());
      String conversationId = cluster.newConversation(token, "Drain", "You hand over.");
      WsClient ws = cluster.connect(0, "/api/v1/conversations/" + conversationId + "/ws?stream=true&token=" + token);
      ws.next("connection_ack");
      ws.userMessage("finish this elsewhere", null);
      String userMessageId = ws.next("message_received").getJsonObject("message").getString("id");
      String firstStream = ws.next("assistant_delta").getString("stream_id");
      cluster.addNode(EnumSet.of(NodeRole.AI));
      Await.result(cluster.node(1).close());

      ReplyFrames seen = ReplyFrames.read(ws, "assistant_message");
      assertNotEquals(firstStream, seen.lastStream().get(0).getString("stream_id"));
      assertEquals(userMessageId, seen.message().getString("reply_to"));
      assertEquals(seen.message().getString("content"), seen.streamedText());
      ws.expectSilence(Duration.ofSeconds(2));
      JsonArray stored = cluster.get(0, "/api/v1/conversations/" + conversationId + "/messages", token).body().getJsonArray("messages");
      assertEquals(2, stored.size(), stored::encode);
      ws.close();
    }
  }

  @Test
  void aGenerationThatLosesItsLeaseStopsAndStoresNothing() throws Exception {
    try (TestCluster cluster = TestCluster.start(1, config -> config.getJsonObject("ai")
        .put("localDeltaDelayMs", 100).put("leaseMs", 900))) {
      String token = cluster.token(TestCluster.newUserId());
      String conversationId = cluster.newConversation(token, "Lease", "You hold a lease.");
      var bus = cluster.node(0).vertx().eventBus();
      java.util.concurrent.CompletableFuture<ReplyDelta> firstDelta = new java.util.concurrent.CompletableFuture<>();
      var consumer = bus.<Object>consumer(Addresses.conversationTopic(java.util.UUID.fromString(conversationId)), message -> {
        if (message.body() instanceof ReplyDelta delta) {
          firstDelta.complete(delta);
        }
      });
      Await.result(consumer.completion());
      WsClient ws = cluster.connect(0, "/api/v1/conversations/" + conversationId + "/ws?stream=true&token=" + token);
      ws.next("connection_ack");
      ws.userMessage("lose the lease while answering", null);
      ws.next("message_received");
      ReplyDelta delta = firstDelta.get(15, java.util.concurrent.TimeUnit.SECONDS);
      // the job is taken from the generating node, as if its lease had expired and another node had claimed it
      Await.result(bus.request(Addresses.RELEASE_REPLY_JOB, new ReleaseReplyJob(delta.jobId(), cluster.node(0).nodeInstance())));

      ReplyFrames seen = ReplyFrames.read(ws, "assistant_message");
      String lostStream = delta.streamId().toString();
      assertTrue(seen.deltas().stream().anyMatch(d -> d.getString("stream_id").equals(lostStream)));
      assertNotEquals(lostStream, seen.lastStream().get(0).getString("stream_id"), "answered by a new generation");
      JsonObject reply = seen.message();
      assertEquals("stop", reply.getJsonObject("meta").getString("finish_reason"), "the lost generation stored nothing, not even a partial reply");
      assertEquals(reply.getString("content"), seen.streamedText());
      ws.expectSilence(Duration.ofSeconds(2));
      JsonArray stored = cluster.get(0, "/api/v1/conversations/" + conversationId + "/messages", token).body().getJsonArray("messages");
      assertEquals(2, stored.size(), stored::encode);
      Await.result(consumer.unregister());
      ws.close();
    }
  }
}
