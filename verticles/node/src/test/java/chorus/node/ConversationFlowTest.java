package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.node.support.TestCluster;
import chorus.node.support.TestCluster.HttpResult;
import chorus.node.support.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The conversation profile's whole documented flow, through a real WebSocket client, on one node. */
class ConversationFlowTest {
  static TestCluster cluster;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(1);
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void documentedFlowFromConnectToAssistantReply() {
    String user = TestCluster.newUserId();
    String token = cluster.token(user);
    String conversationId = cluster.newConversation(token, "Ada", "You are a patient maths tutor. You explain step by step.");

    WsClient ws = cluster.connect(0, "/api/v1/conversations/" + conversationId + "/ws?token=" + token);
    JsonObject ack = ws.next("connection_ack");
    assertEquals(conversationId, ack.getString("conversation_id"));
    assertEquals(user, ack.getString("user_id"));
    assertEquals(0L, ack.getLong("last_seq"));
    assertEquals("Ada", ack.getJsonObject("bot").getString("name"));
    assertEquals("llm", ack.getJsonObject("bot").getString("kind"));
    assertEquals(conversationId, ack.getJsonObject("conversation").getString("id"));

    String clientId = UUID.randomUUID().toString();
    ws.userMessage("What is 7 times 8?", clientId);

    JsonObject received = ws.next("message_received").getJsonObject("message");
    assertEquals("user", received.getString("role"));
    assertEquals("What is 7 times 8?", received.getString("content"));
    assertEquals(conversationId, received.getString("conversation_id"));
    assertEquals(1L, received.getLong("seq"));
    assertEquals(clientId, received.getString("message_id"));
    UUID.fromString(received.getString("id"));
    Instant.parse(received.getString("created_at"));
    assertTrue(received.getValue("meta") instanceof JsonObject);

    JsonObject reply = ws.next("assistant_message").getJsonObject("message");
    assertEquals("assistant", reply.getString("role"));
    assertEquals(2L, reply.getLong("seq"));
    assertEquals(conversationId, reply.getString("conversation_id"));
    assertNotEquals(received.getString("id"), reply.getString("id"));
    // the local development provider shows it read the message and the personality
    assertTrue(reply.getString("content").contains("What is 7 times 8?"), reply.getString("content"));
    assertTrue(reply.getString("content").toLowerCase().contains("maths tutor"), reply.getString("content"));
    assertEquals("local", reply.getJsonObject("meta").getString("provider"));

    // a second message continues the conversation in order
    ws.userMessage("And 9 times 9?", null);
    assertEquals(3L, ws.next("message_received").getJsonObject("message").getLong("seq"));
    assertEquals(4L, ws.next("assistant_message").getJsonObject("message").getLong("seq"));

    // the history endpoint shows the same four messages in seq order
    HttpResult history = cluster.get(0, "/api/v1/conversations/" + conversationId + "/messages?after_seq=0&limit=10", token);
    assertEquals(200, history.status());
    JsonArray messages = history.body().getJsonArray("messages");
    assertEquals(4, messages.size());
    for (int i = 0; i < 4; i++) {
      assertEquals(i + 1L, messages.getJsonObject(i).getLong("seq"));
    }
    assertEquals(received.getString("id"), messages.getJsonObject(0).getString("id"));
    assertFalse(history.body().getBoolean("has_more"));

    // reconnecting later: the ack carries where the conversation stands
    ws.close();
    WsClient again = cluster.connect(0, "/api/v1/conversations/" + conversationId + "/ws?token=" + token);
    assertEquals(4L, again.next("connection_ack").getLong("last_seq"));
    again.close();
  }

  @Test
  void repeatedMessageIdStoresOnceAndRepliesOnce() {
    String token = cluster.token(TestCluster.newUserId());
    String conversationId = cluster.newConversation(token, "Echo", "Terse.");
    WsClient ws = cluster.openConversation(0, conversationId, token);

    ws.userMessage("only once please", "client-msg-1");
    JsonObject first = ws.next("message_received").getJsonObject("message");
    ws.next("assistant_message");

    ws.userMessage("only once please", "client-msg-1");
    JsonObject second = ws.next("message_received").getJsonObject("message");
    assertEquals(first.getString("id"), second.getString("id"));
    assertEquals(first.getLong("seq"), second.getLong("seq"));
    ws.expectSilence(Duration.ofMillis(1500));

    JsonArray messages = cluster.get(0, "/api/v1/conversations/" + conversationId + "/messages", token).body().getJsonArray("messages");
    assertEquals(2, messages.size(), messages::encode);
    ws.close();
  }

  @Test
  void secondDeviceOnSameNodeSeesEveryMessageOnce() {
    String token = cluster.token(TestCluster.newUserId());
    String conversationId = cluster.newConversation(token, "Twin", "Friendly.");
    WsClient phone = cluster.openConversation(0, conversationId, token);
    WsClient laptop = cluster.openConversation(0, conversationId, token);

    phone.userMessage("from the phone", null);
    for (WsClient device : new WsClient[] {phone, laptop}) {
      assertEquals("from the phone", device.next("message_received").getJsonObject("message").getString("content"));
      assertEquals(2L, device.next("assistant_message").getJsonObject("message").getLong("seq"));
      device.expectSilence(Duration.ofMillis(300));
    }
    phone.close();
    laptop.close();
  }
}
