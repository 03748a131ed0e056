package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.node.support.ReplyFrames;
import chorus.node.support.TestCluster;
import chorus.node.support.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Streamed replies on a three-node cluster where only node 0 generates: sockets on nodes 1
 * and 2 that opted in see every delta in order, then the final message whose text is their
 * concatenation; sockets that did not opt in see only the documented frames. A socket that
 * comes in mid-stream gets the text so far, then the rest; a stop from another node stores
 * the partial reply marked stopped.
 */
class AiStreamingTest {
  /** Slow enough that a stream lasts a couple of seconds (the local reply is about 25 words). */
  static final long DELTA_DELAY_MS = 80;
  static TestCluster cluster;

  @BeforeAll
  static void start() {
    cluster = TestCluster.create(5, config -> config.getJsonObject("ai").put("localDeltaDelayMs", DELTA_DELAY_MS));
    cluster.addNode(EnumSet.allOf(NodeRole.class));
    cluster.addNode(EnumSet.of(NodeRole.GATEWAY));
    cluster.addNode(EnumSet.of(NodeRole.GATEWAY, NodeRole.PRESENCE));
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  static WsClient streaming(int node, String conversationId, String token) {
    WsClient ws = cluster.connect(node, "/api/v1/conversations/" + conversationId + "/ws?stream=true&token=" + token);
    ws.next("connection_ack");
    return ws;
  }

  /** Waits for the delta with this index, returning the text streamed up to it. */
  static String untilDelta(WsClient ws, int index) {
    StringBuilder text = new StringBuilder();
    while (true) {
      JsonObject frame = ws.next();
      if ("assistant_delta".equals(frame.getString("type"))) {
        text.append(frame.getString("delta"));
        if (frame.getInteger("index") >= index) {
          return text.toString();
        }
      }
    }
  }

  @Test
  void deltasReachSocketsOnTwoOtherNodesInOrderAndOnlyThoseThatOptedIn() {
    String token = cluster.token(TestCluster.newUserId());
    String conversationId = cluster.newConversation(token, "Streamer", "You are a streaming test bot.");
    WsClient onNode1 = streaming(1, conversationId, token);
    WsClient onNode2 = streaming(2, conversationId, token);
    WsClient plain = cluster.openConversation(1, conversationId, token);

    onNode1.userMessage("tell me something long", "s-1");
    String userMessageId = onNode1.next("message_received").getJsonObject("message").getString("id");
    assertEquals(userMessageId, onNode2.next("message_received").getJsonObject("message").getString("id"));

    ReplyFrames seen1 = ReplyFrames.read(onNode1, "assistant_message");
    ReplyFrames seen2 = ReplyFrames.read(onNode2, "assistant_message");
    for (ReplyFrames seen : new ReplyFrames[] {seen1, seen2}) {
      assertTrue(seen.deltas().size() > 10, () -> "expected a delta per word: " + seen.deltas());
      assertEquals(seen.message().getString("content"), seen.streamedText());
      seen.deltas().forEach(delta -> {
        assertEquals(userMessageId, delta.getString("reply_to"));
        assertEquals(conversationId, delta.getString("conversation_id"));
        assertFalse(delta.containsKey("resumed"));
      });
    }
    assertEquals(seen1.deltas(), seen2.deltas());

    // meta, stored once with the final message
    JsonObject meta = seen1.message().getJsonObject("meta");
    assertEquals("local", meta.getString("provider"));
    assertEquals("local-echo-1", meta.getString("model"));
    assertEquals("stop", meta.getString("finish_reason"));
    assertTrue(meta.getLong("prompt_tokens") > 0);
    assertEquals(seen1.deltas().size(), meta.getInteger("completion_tokens"));
    assertTrue(meta.getLong("first_token_ms") >= DELTA_DELAY_MS, meta::encode);
    assertTrue(meta.getLong("total_ms") >= meta.getLong("first_token_ms"), meta::encode);

    // the client without ?stream=true sees the documented frames only
    assertEquals("message_received", plain.next().getString("type"));
    JsonObject reply = plain.next("assistant_message").getJsonObject("message");
    assertEquals(seen1.message(), reply);
    for (WsClient ws : new WsClient[] {onNode1, onNode2, plain}) {
      ws.expectSilence(Duration.ofMillis(300));
      ws.close();
    }
  }

  /** Text a reply quotes back that JSON must escape or carry as it is: quotes, backslashes, control and non-ASCII characters. */
  static final String AWKWARD_TEXT = "\"quoted\" back\\slash </b> \u0001\u001f \u2028 caf\u00e9 \uD83D\uDE00 {\"index\":0}";

  @Test
  void deltasCarryTextJsonMustEscapeExactlyAsTheStoredReplyHasIt() {
    String token = cluster.token(TestCluster.newUserId());
    String conversationId = cluster.newConversation(token, "Escaper", "You are an exact bot.");
    WsClient ws = streaming(1, conversationId, token);
    ws.userMessage("repeat " + AWKWARD_TEXT, "e-1");
    String userMessageId = ws.next("message_received").getJsonObject("message").getString("id");
    ReplyFrames seen = ReplyFrames.read(ws, "assistant_message");
    assertEquals(seen.message().getString("content"), seen.streamedText());
    assertTrue(seen.streamedText().contains(AWKWARD_TEXT), seen::streamedText);
    seen.deltas().forEach(delta -> {
      assertEquals(Set.of("type", "conversation_id", "reply_to", "stream_id", "index", "delta"), delta.fieldNames());
      assertEquals(conversationId, delta.getString("conversation_id"));
      assertEquals(userMessageId, delta.getString("reply_to"));
    });
    ws.close();
  }

  @Test
  void theUserProfileStreamsBeforeTheFinalNewMessage() {
    String user = TestCluster.newUserId();
    String token = cluster.token(user);
    String conversationId = cluster.newConversation(token, "Multi", "You are a multiplexed bot.");
    WsClient device = cluster.connect(2, "/ws/auth?stream=true&token=" + token).ignore("presence_update", "online_users");
    WsClient plainDevice = cluster.connect(1, "/ws/auth?token=" + token).ignore("presence_update", "online_users");
    for (WsClient ws : new WsClient[] {device, plainDevice}) {
      ws.send(new JsonObject().put("type", "join_conversation").put("conversation_id", conversationId));
      ws.next("conversation_joined");
    }
    device.send(new JsonObject().put("type", "send_message").put("conversation_id", conversationId).put("content", "stream " + AWKWARD_TEXT));
    assertEquals("user", device.next("new_message").getJsonObject("message").getString("role"));
    ReplyFrames seen = ReplyFrames.read(device, "new_message");
    assertTrue(seen.message().getBoolean("is_ai"));
    assertEquals(seen.message().getString("content"), seen.streamedText());
    assertTrue(seen.streamedText().contains(AWKWARD_TEXT), seen::streamedText);
    seen.deltas().forEach(delta -> {
      assertEquals(conversationId, delta.getString("conversation_id"));
      assertEquals(Set.of("type", "conversation_id", "reply_to", "stream_id", "index", "delta", "timestamp"), delta.fieldNames());
      Instant.parse(delta.getString("timestamp"));
    });

    assertEquals("user", plainDevice.next("new_message").getJsonObject("message").getString("role"));
    assertEquals(seen.message().getString("content"), plainDevice.next("new_message").getJsonObject("message").getString("content"));
    plainDevice.expectSilence(Duration.ofMillis(300));
    device.close();
    plainDevice.close();
  }

  @Test
  void socketsComingInMidStreamGetTheTextSoFarThenTheRest() {
    String token = cluster.token(TestCluster.newUserId());
    String conversationId = cluster.newConversation(token, "Resumer", "You are resumable.");
    WsClient sender = streaming(1, conversationId, token);
    sender.userMessage("a reply to join in the middle of", "r-1");
    sender.next("message_received");
    untilDelta(sender, 4);

    // node 2 has no socket on this conversation yet: its feed starts mid-stream and asks for a snapshot;
    // a second socket on node 1 joins a feed that already follows the stream
    WsClient late2 = streaming(2, conversationId, token);
    WsClient late1 = streaming(1, conversationId, token);
    ReplyFrames seen2 = ReplyFrames.read(late2, "assistant_message");
    ReplyFrames seen1 = ReplyFrames.read(late1, "assistant_message");
    for (ReplyFrames seen : new ReplyFrames[] {seen2, seen1}) {
      JsonObject first = seen.deltas().get(0);
      assertTrue(first.getBoolean("resumed"), first::encode);
      assertTrue(first.getInteger("index") >= 4, first::encode);
      assertEquals(seen.message().getString("content"), seen.streamedText());
      assertTrue(seen.deltas().size() > 2, "the live deltas follow the text so far");
    }
    ReplyFrames seenBySender = ReplyFrames.read(sender, "assistant_message");
    assertEquals(seen1.message(), seenBySender.message());
    for (WsClient ws : new WsClient[] {sender, late1, late2}) {
      ws.expectSilence(Duration.ofMillis(300));
      ws.close();
    }
  }

  @Test
  void aStopFromAnotherNodeStoresThePartialReplyMarkedStopped() {
    String owner = TestCluster.newUserId();
    String token = cluster.token(owner);
    String conversationId = cluster.newConversation(token, "Stoppable", "You are interruptible.");
    WsClient sender = streaming(1, conversationId, token);
    WsClient stopper = cluster.connect(2, "/ws/auth?token=" + token).ignore("presence_update", "online_users");
    stopper.send(new JsonObject().put("type", "join_conversation").put("conversation_id", conversationId));
    stopper.next("conversation_joined");

    sender.userMessage("talk until I say stop", "stop-1");
    String userMessageId = sender.next("message_received").getJsonObject("message").getString("id");
    untilDelta(sender, 3);
    stopper.send(new JsonObject().put("type", "stop_generation").put("conversation_id", conversationId).put("message_id", userMessageId));

    ReplyFrames rest = ReplyFrames.read(sender, "assistant_message");
    JsonObject reply = rest.message();
    JsonObject meta = reply.getJsonObject("meta");
    assertEquals("stopped", meta.getString("finish_reason"));
    assertTrue(meta.getBoolean("stopped"));
    assertEquals(userMessageId, reply.getString("reply_to"));
    String content = reply.getString("content");
    assertTrue(content.startsWith("Stoppable here."), content);
    assertFalse(content.endsWith("conversation."), () -> "the whole reply was stored: " + content);

    JsonArray stored = cluster.get(0, "/api/v1/conversations/" + conversationId + "/messages", token).body().getJsonArray("messages");
    assertEquals(2, stored.size());
    assertEquals(content, stored.getJsonObject(1).getString("content"));
    // the stopper's device gets the stored partial reply as its final new_message
    stopper.next("new_message");
    assertEquals(content, stopper.next("new_message").getJsonObject("message").getString("content"));
    sender.close();
    stopper.close();
  }

  @Test
  void aNonMemberCannotStopAnotherUsersGeneration() {
    String token = cluster.token(TestCluster.newUserId());
    String conversationId = cluster.newConversation(token, "Private", "You are private.");
    String strangerToken = cluster.token(TestCluster.newUserId());
    WsClient stranger = cluster.connect(1, "/ws/auth?token=" + strangerToken).ignore("presence_update", "online_users");
    stranger.send(new JsonObject().put("type", "stop_generation").put("conversation_id", conversationId));
    JsonObject refused = stranger.next("error");
    assertEquals("NOT_JOINED", refused.getString("code"));
    stranger.send(new JsonObject().put("type", "join_conversation").put("conversation_id", conversationId));
    assertEquals("NOT_FOUND", stranger.next("error").getString("code"));

    WsClient owner = streaming(0, conversationId, token);
    owner.userMessage("still answered in full", null);
    owner.next("message_received");
    stranger.send(new JsonObject().put("type", "stop_generation").put("conversation_id", conversationId));
    assertEquals("NOT_JOINED", stranger.next("error").getString("code"));
    JsonObject meta = ReplyFrames.read(owner, "assistant_message").message().getJsonObject("meta");
    assertEquals("stop", meta.getString("finish_reason"));
    assertNotNull(meta.getValue("total_ms"));
    owner.close();
    stranger.close();
  }
}
