package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import chorus.node.support.Await;
import chorus.node.support.TestCluster;
import chorus.node.support.WsClient;
import chorus.shared.Addresses;
import chorus.shared.bus.Viewers;
import chorus.shared.bus.ViewersQuery;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The cluster-wide limits: sockets per user, sockets per conversation, the message rate; and who views a conversation. */
class LimitsTest {
  static TestCluster cluster;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(3, config -> config.getJsonObject("limits")
        .put("maxSocketsPerConversation", 3)
        .put("messagesPerSecond", 0.2)
        .put("messageBurst", 3)
        .put("rateLimitStrikes", 4));
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void theSixthSocketOfAUserAnywhereInTheClusterIsRefused() {
    String user = TestCluster.newUserId();
    String token = cluster.token(user);
    List<WsClient> sockets = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      WsClient ws = cluster.connect(i % 3, "/ws/auth?token=" + token);
      ws.next("online_users");
      sockets.add(ws);
    }
    TestCluster.Refusal sixth = cluster.refusal(2, "/ws/auth?token=" + token);
    assertEquals("TOO_MANY_CONNECTIONS", sixth.error().getString("code"));
    assertEquals(1008, sixth.closeCode());
    assertEquals("Too many connections", sixth.closeReason());

    // the conversation profile counts too, and a freed place can be taken again
    sockets.remove(0).close();
    String conversationId = cluster.newConversation(token, "Limit", "Counts.", "survey");
    Await.until("a place is free", Duration.ofSeconds(5), () -> {
      WsClient again = cluster.connect(1, "/api/v1/conversations/" + conversationId + "/ws?token=" + token);
      JsonObject first = again.poll(Duration.ofSeconds(5));
      if (first != null && first.getString("type").equals("connection_ack")) {
        sockets.add(again);
        return true;
      }
      again.close();
      return false;
    });
    TestCluster.Refusal seventh = cluster.refusal(0, "/api/v1/conversations/" + conversationId + "/ws?token=" + token);
    assertEquals("TOO_MANY_CONNECTIONS", seventh.error().getString("code"));
    assertEquals(1008, seventh.closeCode());
    sockets.forEach(WsClient::close);
  }

  @Test
  void aConversationTakesAtMostItsLimitOfSocketsAndSaysWhoIsViewing() {
    String owner = TestCluster.newUserId();
    String token = cluster.token(owner);
    String conversationId = cluster.newConversation(token, "Full", "Crowded.", "survey");
    List<WsClient> viewers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      viewers.add(cluster.openConversation(i, conversationId, token));
    }
    TestCluster.Refusal fourth = cluster.refusal(0, "/api/v1/conversations/" + conversationId + "/ws?token=" + token);
    assertEquals("CONVERSATION_FULL", fourth.error().getString("code"));
    assertEquals(1008, fourth.closeCode());

    // a user-profile socket asking to join is told, and stays open
    WsClient device = cluster.connect(1, "/ws/auth?token=" + token);
    device.next("online_users");
    device.send(new JsonObject().put("type", "join_conversation").put("conversation_id", conversationId));
    assertEquals("CONVERSATION_FULL", device.next("error").getString("code"));
    device.send(new JsonObject().put("type", "ping"));
    device.next("pong");

    // per-conversation presence, over the event bus from any node
    Viewers watching = Await.result(cluster.node(2).vertx().eventBus()
        .<Viewers>request(Addresses.PRESENCE_VIEWERS, new ViewersQuery(UUID.fromString(conversationId))).map(Message::body));
    assertEquals(List.of(owner), watching.userIds());
    assertEquals(3, watching.sockets());

    viewers.remove(0).close();
    Await.until("a viewer left", Duration.ofSeconds(5), () -> Await.result(cluster.node(0).vertx().eventBus()
        .<Viewers>request(Addresses.PRESENCE_VIEWERS, new ViewersQuery(UUID.fromString(conversationId))).map(Message::body)).sockets() == 2);
    device.send(new JsonObject().put("type", "join_conversation").put("conversation_id", conversationId));
    device.next("conversation_joined");
    viewers.forEach(WsClient::close);
    device.close();
  }

  @Test
  void theMessageRateIsLimitedPerUserAcrossNodesAndAbuseIsClosed() {
    String user = TestCluster.newUserId();
    String token = cluster.token(user);
    String conversationId = cluster.newConversation(token, "Rate", "Patient.", "survey");
    WsClient a = cluster.openConversation(0, conversationId, token);
    WsClient b = cluster.openConversation(1, conversationId, token);
    // a burst of 3 shared by both sockets of the user (refilled at one per 5 s)
    a.userMessage("one", null);
    b.userMessage("two", null);
    a.userMessage("three", null);
    for (int i = 0; i < 3; i++) {
      a.next("message_received");
    }
    b.userMessage("four", null);
    assertEquals("RATE_LIMITED", nextOf(b, "error").getString("code"));
    a.expectSilence(Duration.ofMillis(300));
    assertEquals(3, cluster.get(0, "/api/v1/conversations/" + conversationId + "/messages", token).body().getJsonArray("messages").size());

    // keep hammering: after four refusals in a row the socket is closed
    for (int i = 0; i < 3; i++) {
      b.userMessage("spam " + i, null);
    }
    assertEquals(1008, b.awaitClose());
    assertEquals(3, cluster.get(0, "/api/v1/conversations/" + conversationId + "/messages", token).body().getJsonArray("messages").size());
    a.close();
  }

  /** The next frame of a type, skipping the messages of the conversation. */
  private static JsonObject nextOf(WsClient ws, String type) {
    while (true) {
      JsonObject frame = ws.next();
      if (frame.getString("type").equals(type)) {
        return frame;
      }
    }
  }
}
