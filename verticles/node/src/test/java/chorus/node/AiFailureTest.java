package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.node.support.TestCluster;
import chorus.node.support.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A provider that fails for good: the conversation's sockets get an error AI_UNAVAILABLE
 * naming the user message, which stays stored; a retry (frame, or sending the message
 * again) answers it. The local provider is set to fail each job's first attempt.
 */
class AiFailureTest {
  static TestCluster cluster;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(3, config -> config.getJsonObject("ai").put("localFailAttempts", 1));
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void aFailedReplyIsReportedToEveryNodeAndARetryFrameAnswersIt() {
    String token = cluster.token(TestCluster.newUserId());
    String conversationId = cluster.newConversation(token, "Flaky", "You fail once.");
    WsClient sender = cluster.openConversation(0, conversationId, token);
    WsClient watcher = cluster.openConversation(2, conversationId, token);

    sender.userMessage("will you answer?", "f-1");
    String userMessageId = sender.next("message_received").getJsonObject("message").getString("id");
    watcher.next("message_received");
    for (WsClient ws : new WsClient[] {sender, watcher}) {
      JsonObject error = ws.next("error");
      assertEquals("AI_UNAVAILABLE", error.getString("code"));
      assertEquals(userMessageId, error.getString("reply_to"));
    }
    sender.expectSilence(Duration.ofMillis(1500)); // a failed job is not swept again by itself
    JsonArray stored = cluster.get(1, "/api/v1/conversations/" + conversationId + "/messages", token).body().getJsonArray("messages");
    assertEquals(1, stored.size());

    watcher.send(new JsonObject().put("type", "retry").put("message_id", userMessageId));
    for (WsClient ws : new WsClient[] {sender, watcher}) {
      JsonObject reply = ws.next("assistant_message").getJsonObject("message");
      assertEquals(userMessageId, reply.getString("reply_to"));
      assertEquals(2, reply.getJsonObject("meta").getInteger("attempt"));
    }
    // a reply that was stored cannot be retried
    sender.send(new JsonObject().put("type", "retry").put("message_id", userMessageId));
    assertEquals("NOT_RETRYABLE", sender.next("error").getString("code"));
    sender.send(new JsonObject().put("type", "retry").put("message_id", "not-a-uuid"));
    assertEquals("INVALID_MESSAGE", sender.next("error").getString("code"));
    sender.close();
    watcher.close();
  }

  @Test
  void sendingTheMessageAgainRetriesItsFailedReply() {
    String token = cluster.token(TestCluster.newUserId());
    String conversationId = cluster.newConversation(token, "Flaky", "You fail once.");
    WsClient sender = cluster.openConversation(1, conversationId, token);
    sender.userMessage("second time lucky", "again-1");
    String userMessageId = sender.next("message_received").getJsonObject("message").getString("id");
    assertEquals("AI_UNAVAILABLE", sender.next("error").getString("code"));

    sender.userMessage("second time lucky", "again-1");
    assertEquals(userMessageId, sender.next("message_received").getJsonObject("message").getString("id"));
    assertEquals(userMessageId, sender.next("assistant_message").getJsonObject("message").getString("reply_to"));
    JsonArray stored = cluster.get(1, "/api/v1/conversations/" + conversationId + "/messages", token).body().getJsonArray("messages");
    assertEquals(2, stored.size());
    sender.close();
  }

  @Test
  void theUserProfileGetsTheErrorAndRetriesToo() {
    String token = cluster.token(TestCluster.newUserId());
    String conversationId = cluster.newConversation(token, "Flaky", "You fail once.");
    WsClient device = cluster.connect(2, "/ws/auth?token=" + token).ignore("presence_update", "online_users");
    device.send(new JsonObject().put("type", "join_conversation").put("conversation_id", conversationId));
    device.next("conversation_joined");
    device.send(new JsonObject().put("type", "send_message").put("conversation_id", conversationId).put("content", "hello?"));
    String userMessageId = device.next("new_message").getJsonObject("message").getString("id");
    JsonObject error = device.next("error");
    assertEquals("AI_UNAVAILABLE", error.getString("code"));
    assertEquals(conversationId, error.getString("conversation_id"));
    device.send(new JsonObject().put("type", "retry").put("conversation_id", conversationId).put("message_id", userMessageId));
    JsonObject reply = device.next("new_message").getJsonObject("message");
    assertTrue(reply.getBoolean("is_ai"));
    device.close();
  }
}
