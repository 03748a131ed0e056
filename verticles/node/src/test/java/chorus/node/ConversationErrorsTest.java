package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.node.support.Await;
import chorus.node.support.TestCluster;
import chorus.node.support.WsClient;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every refusal and every bad frame of the conversation profile, as a client sees it. */
class ConversationErrorsTest {
  static TestCluster cluster;
  static String owner;
  static String ownerToken;
  static String conversationId;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(1);
    owner = TestCluster.newUserId();
    ownerToken = cluster.token(owner);
    conversationId = cluster.newConversation(ownerToken, "Strict", "You check inputs.");
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  private static String path(String conversation) {
    return "/api/v1/conversations/" + conversation + "/ws";
  }

  private static void assertRefused(String uri, String code, int closeCode) {
    TestCluster.Refusal refusal = cluster.refusal(0, uri);
    assertEquals(code, refusal.error().getString("code"), refusal.error()::encode);
    assertTrue(refusal.error().getString("message").length() > 0);
    assertEquals(closeCode, refusal.closeCode());
  }

  /** The socket is still usable: a valid message is stored and acknowledged. */
  private static void assertStillUsable(WsClient ws) {
    ws.userMessage("still here?", null);
    assertEquals("still here?", ws.next("message_received").getJsonObject("message").getString("content"));
    ws.next("assistant_message");
  }

  @Test
  void noTokenIsRefusedWith4001() {
    assertRefused(path(conversationId), "AUTH_REQUIRED", 4001);
  }

  @Test
  void badSignatureIsRefusedWith4001() {
    String token = cluster.token(owner);
    String forged = token.substring(0, token.lastIndexOf('.') + 1) + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    assertRefused(path(conversationId) + "?token=" + forged, "AUTH_FAILED", 4001);
  }

  @Test
  void expiredTokenIsRefusedWith4001() {
    long anHourAgo = System.currentTimeMillis() / 1000 - 3600;
    String expired = signer().generateToken(new JsonObject().put("sub", owner).put("iat", anHourAgo - 60).put("exp", anHourAgo));
    assertRefused(path(conversationId) + "?token=" + expired, "AUTH_FAILED", 4001);
  }

  private static io.vertx.ext.auth.jwt.JWTAuth signer() {
    return chorus.gateway.auth.JwtKeys.create(cluster.clients(), cluster.config().getJsonObject("jwt"));
  }

  @Test
  void tokenWithoutExpiryIsRefused() {
    String forever = signer().generateToken(new JsonObject().put("sub", owner));
    assertRefused(path(conversationId) + "?token=" + forever, "AUTH_FAILED", 4001);
  }

  @Test
  void unsignedTokenIsRefused() {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    long exp = System.currentTimeMillis() / 1000 + 3600;
    String unsigned = b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(("{\"sub\":\"" + owner + "\",\"exp\":" + exp + "}").getBytes(StandardCharsets.UTF_8)) + ".";
    assertRefused(path(conversationId) + "?token=" + unsigned, "AUTH_FAILED", 4001);
  }

  @Test
  void unknownConversationIsRefusedWith4003() {
    assertRefused(path(UUID.randomUUID().toString()) + "?token=" + ownerToken, "NOT_FOUND", 4003);
  }

  @Test
  void malformedConversationIdIsRefusedWith4003() {
    assertRefused(path("not-a-uuid") + "?token=" + ownerToken, "NOT_FOUND", 4003);
  }

  @Test
  void someoneElsesConversationIsRefusedWith4003() {
    String intruder = cluster.token(TestCluster.newUserId());
    assertRefused(path(conversationId) + "?token=" + intruder, "NOT_FOUND", 4003);
  }

  @Test
  void badFramesGetAnErrorAndTheSocketStaysOpen() {
    WsClient ws = cluster.openConversation(0, conversationId, ownerToken);

    ws.sendText("{not json");
    assertEquals("INVALID_JSON", ws.next("error").getString("code"));
    ws.sendText("[1,2,3]");
    assertEquals("INVALID_JSON", ws.next("error").getString("code"));
    ws.send(new JsonObject().put("type", "user_message"));
    assertEquals("INVALID_MESSAGE", ws.next("error").getString("code"));
    ws.send(new JsonObject().put("type", "user_message").put("content", "   "));
    assertEquals("INVALID_MESSAGE", ws.next("error").getString("code"));
    ws.send(new JsonObject().put("type", "user_message").put("content", 42));
    assertEquals("INVALID_MESSAGE", ws.next("error").getString("code"));
    ws.send(new JsonObject().put("type", "user_message").put("content", "x".repeat(5001)));
    assertEquals("MESSAGE_TOO_LONG", ws.next("error").getString("code"));
    ws.send(new JsonObject().put("type", "user_message").put("content", "ok").put("message_id", 17));
    assertEquals("INVALID_MESSAGE", ws.next("error").getString("code"));
    ws.send(new JsonObject().put("type", "launch_missiles"));
    JsonObject unknown = ws.next("error");
    assertEquals("UNKNOWN_TYPE", unknown.getString("code"));
    assertTrue(unknown.getString("message").contains("launch_missiles"));
    ws.send(new JsonObject().put("content", "no type"));
    assertEquals("UNKNOWN_TYPE", ws.next("error").getString("code"));
    ws.sendBinary(Buffer.buffer(new byte[] {1, 2, 3}));
    assertEquals("UNSUPPORTED_FRAME", ws.next("error").getString("code"));

    // none of that stored anything; exactly 5000 characters is accepted
    ws.send(new JsonObject().put("type", "user_message").put("content", "y".repeat(5000)));
    JsonObject stored = ws.next("message_received").getJsonObject("message");
    assertEquals(5000, stored.getString("content").length());
    ws.next("assistant_message");
    assertStillUsable(ws);
    ws.send(new JsonObject().put("type", "ping"));
    ws.next("pong");
    ws.close();
  }

  @Test
  void aFrameOverTheLimitClosesWith1009() {
    // one single frame of 70 KB (the client may send frames up to 1 MB)
    WsClient ws = Await.result(cluster.connectAsync(0, path(conversationId) + "?token=" + ownerToken, null,
        new WebSocketClientOptions().setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 20)));
    ws.next("connection_ack");
    ws.send(new JsonObject().put("type", "user_message").put("content", "z".repeat(70_000)));
    assertEquals(1009, ws.awaitClose());
  }

  @Test
  void aFragmentedMessageOverTheLimitClosesWith1009() {
    // 70 KB split into 16 KB continuation frames: each frame is small, the message is not
    WsClient ws = Await.result(cluster.connectAsync(0, path(conversationId) + "?token=" + ownerToken, null,
        new WebSocketClientOptions().setMaxFrameSize(16 * 1024)));
    ws.next("connection_ack");
    ws.send(new JsonObject().put("type", "user_message").put("content", "z".repeat(70_000)));
    assertEquals(1009, ws.awaitClose());
  }

  @Test
  void nothingWasStoredByRefusedOrBadInput() {
    String token = cluster.token(TestCluster.newUserId());
    String conversation = cluster.newConversation(token, "Quiet", "Says little.");
    WsClient ws = cluster.openConversation(0, conversation, token);
    ws.sendText("{oops");
    ws.next("error");
    ws.send(new JsonObject().put("type", "user_message").put("content", ""));
    ws.next("error");
    ws.expectSilence(Duration.ofMillis(300));
    assertEquals(0, cluster.get(0, "/api/v1/conversations/" + conversation + "/messages", token).body().getJsonArray("messages").size());
    ws.close();
  }
}
