package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import chorus.node.support.TestCluster;
import chorus.node.support.WsClient;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Resume on the conversation profile (?last_seq=): a client that reconnects, to any node,
 * receives every message it missed once, in order, then the live stream, with no gap and
 * no duplicate at the seam, counted by a checker over a few thousand messages.
 */
class ResumeTest {
  static TestCluster cluster;

  @BeforeAll
  static void start() {
    cluster = TestCluster.create(5, config -> config.getJsonObject("delivery").put("tailCheckMs", 1000));
    cluster.addNode(java.util.EnumSet.of(NodeRole.GATEWAY, NodeRole.PERSISTENCE, NodeRole.PRESENCE));
    cluster.addNode(java.util.EnumSet.of(NodeRole.GATEWAY, NodeRole.PERSISTENCE));
    cluster.addNode(java.util.EnumSet.of(NodeRole.GATEWAY));
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  /** Counts what a client sees: every seq once and in order, or the gap or duplicate. */
  static final class SeqChecker {
    long last;
    int gaps;
    int duplicates;
    final Set<Long> seen = new HashSet<>();

    void see(long seq) {
      if (!seen.add(seq)) {
        duplicates++;
      } else if (seq != last + 1) {
        gaps++;
      }
      last = Math.max(last, seq);
    }
  }

  @Test
  void reconnectingToAnotherNodeReplaysWhatWasMissedThenGoesLive() {
    String token = cluster.token(TestCluster.newUserId());
    // a survey bot: no reply jobs, the stream is the writer's messages only
    String conversationId = cluster.newConversation(token, "Resume", "Remembers.", "survey");
    WsClient writer = cluster.openConversation(0, conversationId, token);
    int total = 2000;
    SeqChecker checker = new SeqChecker();
    WsClient reader = cluster.openConversation(1, conversationId, token);
    List<Integer> reconnectAt = List.of(300, 900, 1500);  // multiples of the batch
    int sent = 0;
    while (sent < total) {
      int batch = Math.min(25, total - sent);
      for (int i = 0; i < batch; i++) {
        writer.userMessage("m" + (sent + i), "w-" + (sent + i));
      }
      for (int i = 0; i < batch; i++) {
        writer.next("message_received");
      }
      sent += batch;
      // the reader drains what has arrived, and at some points drops its socket and resumes elsewhere
      if (reconnectAt.contains(sent)) {
        drain(reader, checker, Duration.ofMillis(20));
        reader.close();
        int node = (reconnectAt.indexOf(sent) + 2) % 3;
        reader = cluster.connect(node, "/api/v1/conversations/" + conversationId + "/ws?token=" + token + "&last_seq=" + checker.last);
        JsonObject ack = reader.next("connection_ack");
        assertEquals(sent, ack.getLong("last_seq").intValue());
      }
    }
    while (checker.last < total) {
      checker.see(reader.next("message_received").getJsonObject("message").getLong("seq"));
    }
    reader.expectSilence(Duration.ofMillis(300));
    assertEquals(0, checker.gaps, "gaps");
    assertEquals(0, checker.duplicates, "duplicates");
    assertEquals(total, checker.seen.size());
    writer.close();
    reader.close();
  }

  @Test
  void aSocketThatJoinsWhileMessagesAreWrittenGetsEverythingAfterItsJoinPoint() {
    String token = cluster.token(TestCluster.newUserId());
    String conversationId = cluster.newConversation(token, "Race", "Fast.", "survey");
    WsClient writer = cluster.openConversation(0, conversationId, token);
    // node 2 has no socket on this conversation yet: each join below is its first subscription
    List<WsClient> joiners = new ArrayList<>();
    List<Long> joinPoints = new ArrayList<>();
    for (int round = 0; round < 5; round++) {
      writer.userMessage("before join " + round, null);
      WsClient joiner = cluster.connect(2, "/api/v1/conversations/" + conversationId + "/ws?token=" + token);
      writer.userMessage("right after join " + round, null);
      joinPoints.add(joiner.next("connection_ack").getLong("last_seq"));
      joiners.add(joiner);
      writer.next("message_received");
      writer.next("message_received");
      if (round < 4) {
        for (WsClient j : joiners) {
          j.close();
        }
        joiners.clear();
        joinPoints.clear();
      }
    }
    long last = 10;
    WsClient joiner = joiners.get(0);
    SeqChecker checker = new SeqChecker();
    checker.last = joinPoints.get(0);
    while (checker.last < last) {
      checker.see(joiner.next("message_received").getJsonObject("message").getLong("seq"));
    }
    assertEquals(0, checker.gaps);
    assertEquals(0, checker.duplicates);
    joiner.close();
    writer.close();
  }

  @Test
  void aMessageWhosePublishNeverArrivesIsStillDelivered() {
    // a second cluster on the same database: what it stores is never published to this one,
    // exactly like a lost event. The node's tail check notices and reads it.
    try (TestCluster elsewhere = TestCluster.start(1, config -> config.getJsonObject("delivery").put("tailCheckMs", 0))) {
      String token = cluster.token(TestCluster.newUserId());
      String conversationId = cluster.newConversation(token, "Lost", "Careful.", "survey");
      WsClient here = cluster.openConversation(2, conversationId, token);
      WsClient there = elsewhere.openConversation(0, conversationId, token);
      here.expectSilence(Duration.ofMillis(1500)); // past the join-race read: only the tail check can find it now
      there.userMessage("published on another bus", null);
      assertEquals(1L, there.next("message_received").getJsonObject("message").getLong("seq"));
      JsonObject arrived = here.next("message_received").getJsonObject("message");
      assertEquals(1L, arrived.getLong("seq"));
      assertEquals("published on another bus", arrived.getString("content"));
      here.close();
      there.close();
    }
  }

  @Test
  void aBadLastSeqIsRefused() {
    String token = cluster.token(TestCluster.newUserId());
    String conversationId = cluster.newConversation(token, "Bad", "Strict.", "survey");
    TestCluster.Refusal refusal = cluster.refusal(0, "/api/v1/conversations/" + conversationId + "/ws?token=" + token + "&last_seq=-1");
    assertEquals("INVALID_PARAMETER", refusal.error().getString("code"));
    assertEquals(1008, refusal.closeCode());
  }

  private static void drain(WsClient reader, SeqChecker checker, Duration quiet) {
    while (true) {
      JsonObject frame = reader.poll(quiet);
      if (frame == null) {
        return;
      }
      checker.see(frame.getJsonObject("message").getLong("seq"));
    }
  }
}
