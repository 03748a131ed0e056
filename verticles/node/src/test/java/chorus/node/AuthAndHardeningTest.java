package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.node.support.Await;
import chorus.node.support.TestCluster;
import chorus.node.support.TestCluster.HttpResult;
import chorus.node.support.WsClient;
import io.vertx.core.MultiMap;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import java.util.EnumSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Cookie authentication and Origin, the hardening Vert.x does not do by default, and health. */
class AuthAndHardeningTest {
  static TestCluster cluster;
  static String token;
  static String conversationId;
  static final String ALLOWED = "https://app.example.com";

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(1, config -> config.getJsonObject("auth").put("cookieName", "chorus_session").put("allowedOrigins", ALLOWED));
    token = cluster.token(TestCluster.newUserId());
    conversationId = cluster.newConversation(token, "Guard", "Careful.");
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  private static String path() {
    return "/api/v1/conversations/" + conversationId + "/ws";
  }

  private static MultiMap cookie(String origin) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("Cookie", "chorus_session=" + token);
    if (origin != null) {
      headers.add("Origin", origin);
    }
    return headers;
  }

  @Test
  void cookieFromAForeignOriginIsRefused() {
    TestCluster.Refusal refusal = cluster.refusal(0, path(),
        java.util.Map.of("Cookie", "chorus_session=" + token, "Origin", "https://evil.example.net"));
    assertEquals("ORIGIN_NOT_ALLOWED", refusal.error().getString("code"));
    assertEquals(4003, refusal.closeCode());
  }

  @Test
  void cookieFromAnAllowedOriginWorks() {
    WsClient ws = cluster.connect(0, path(), cookie(ALLOWED));
    ws.next("connection_ack");
    ws.userMessage("via cookie", null);
    ws.next("message_received");
    ws.close();
  }

  @Test
  void cookieWithoutOriginWorksForNonBrowserClients() {
    WsClient ws = cluster.connect(0, path(), cookie(null));
    ws.next("connection_ack");
    ws.close();
  }

  @Test
  void theSameTokenAsQueryParameterOrBearerWorksFromAnyOrigin() {
    MultiMap foreign = MultiMap.caseInsensitiveMultiMap().add("Origin", "https://evil.example.net");
    WsClient query = cluster.connect(0, path() + "?token=" + token, foreign);
    query.next("connection_ack");
    query.close();
    MultiMap bearer = MultiMap.caseInsensitiveMultiMap().add("Origin", "https://evil.example.net").add("Authorization", "Bearer " + token);
    WsClient header = cluster.connect(0, path(), bearer);
    header.next("connection_ack");
    header.close();
  }

  @Test
  void compressionIsNotNegotiated() {
    WsClient ws = Await.result(cluster.connectAsync(0, path() + "?token=" + token, null,
        new WebSocketClientOptions().setTryUsePerMessageCompression(true).setTryUsePerFrameCompression(true)));
    assertNull(ws.socket().headers().get("Sec-WebSocket-Extensions"), ws.socket().headers()::toString);
    ws.next("connection_ack");
    ws.close();
  }

  @Test
  void aNodeRefusesToStartWithoutAJwtKey() {
    TestCluster noKey = TestCluster.create(2, config -> config.getJsonObject("jwt").put("secret", ""));
    JsonObject config = noKey.config().copy();
    config.getJsonObject("node").put("id", "no-key");
    Throwable failure = Await.failure(ChorusNode.start(config, EnumSet.of(NodeRole.GATEWAY), new VertxOptions()));
    assertTrue(failure.getMessage().contains("no JWT key configured"), failure.getMessage());
  }

  @Test
  void aShortHmacKeyIsRefused() {
    TestCluster weak = TestCluster.create(2, config -> config.getJsonObject("jwt").put("secret", "short"));
    JsonObject config = weak.config().copy();
    config.getJsonObject("node").put("id", "weak-key");
    Throwable failure = Await.failure(ChorusNode.start(config, EnumSet.of(NodeRole.GATEWAY), new VertxOptions()));
    assertTrue(failure.getMessage().contains("shorter than"), failure.getMessage());
  }

  @Test
  void healthEndpointsAnswerWithJson() {
    HttpResult live = cluster.get(0, "/health/live", null);
    assertEquals(200, live.status());
    assertEquals("UP", live.body().getString("outcome"), live.body()::encode);
    HttpResult ready = cluster.get(0, "/health/ready", null);
    assertEquals(200, ready.status(), ready.body()::encode);
    assertEquals("UP", ready.body().getString("outcome"), ready.body()::encode);
  }

  @Test
  void restErrorsAreJson() {
    HttpResult noToken = cluster.post(0, "/api/v1/bots", null, new JsonObject().put("name", "x"));
    assertEquals(401, noToken.status());
    assertEquals("AUTH_REQUIRED", noToken.body().getString("code"));

    HttpResult badJson = cluster.request(0, HttpMethod.POST, "/api/v1/bots", token, io.vertx.core.buffer.Buffer.buffer("{nope"));
    assertEquals(400, badJson.status());
    assertEquals("INVALID_JSON", badJson.body().getString("code"));

    HttpResult noName = cluster.post(0, "/api/v1/bots", token, new JsonObject().put("kind", "llm"));
    assertEquals(400, noName.status());
    assertEquals("MISSING_FIELD", noName.body().getString("code"));

    HttpResult badKind = cluster.post(0, "/api/v1/bots", token, new JsonObject().put("name", "x").put("kind", "oracle"));
    assertEquals(400, badKind.status());

    HttpResult unknownBot = cluster.post(0, "/api/v1/conversations", token, new JsonObject().put("bot_id", java.util.UUID.randomUUID().toString()));
    assertEquals(404, unknownBot.status());
    assertEquals("NOT_FOUND", unknownBot.body().getString("code"));

    HttpResult notYours = cluster.get(0, "/api/v1/conversations/" + conversationId + "/messages", cluster.token(TestCluster.newUserId()));
    assertEquals(404, notYours.status());

    HttpResult badSeq = cluster.get(0, "/api/v1/conversations/" + conversationId + "/messages?after_seq=-4", token);
    assertEquals(400, badSeq.status());
    assertEquals("INVALID_PARAMETER", badSeq.body().getString("code"));

    HttpResult tooLarge = cluster.post(0, "/api/v1/bots", token, new JsonObject().put("name", "big").put("personality", "p".repeat(300_000)));
    assertEquals(413, tooLarge.status());
    assertEquals("BODY_TOO_LARGE", tooLarge.body().getString("code"));

    HttpResult nowhere = cluster.get(0, "/api/v1/nothing-here", token);
    assertEquals(404, nowhere.status());
    assertEquals("NOT_FOUND", nowhere.body().getString("code"));
  }

  @Test
  void aChunkedBodyOverTheLimitGetsTheSameJson413() {
    io.vertx.core.http.HttpClient http = cluster.clients().createHttpClient();
    io.vertx.core.http.RequestOptions options = new io.vertx.core.http.RequestOptions().setMethod(HttpMethod.POST)
        .setHost("127.0.0.1").setPort(cluster.node(0).httpPort()).setURI("/api/v1/bots")
        .putHeader("Authorization", "Bearer " + token).putHeader("Content-Type", "application/json");
    // no Content-Length: the limit is found while the body streams in
    JsonObject answer = chorus.node.support.Await.result(http.request(options)
        .compose(request -> request.setChunked(true)
            .send(new JsonObject().put("name", "big").put("personality", "p".repeat(300_000)).toBuffer()))
        .compose(response -> response.body().map(body -> new JsonObject().put("status", response.statusCode())
            .put("type", response.getHeader("content-type")).put("body", body.toString()))));
    assertEquals(413, answer.getInteger("status"));
    assertEquals("application/json", answer.getString("type"));
    assertEquals("BODY_TOO_LARGE", new JsonObject(answer.getString("body")).getString("code"));
    http.close();
  }

  @Test
  void privateBotsAreTheirOwnersAndPublicBotsAreEveryones() {
    String ownerToken = cluster.token(TestCluster.newUserId());
    String privateBot = cluster.post(0, "/api/v1/bots", ownerToken, new JsonObject().put("name", "Mine")).body().getString("id");
    String publicBot = cluster.post(0, "/api/v1/bots", ownerToken, new JsonObject().put("name", "Ours").put("public", true)).body().getString("id");
    String stranger = cluster.token(TestCluster.newUserId());
    assertEquals(404, cluster.post(0, "/api/v1/conversations", stranger, new JsonObject().put("bot_id", privateBot)).status());
    HttpResult created = cluster.post(0, "/api/v1/conversations", stranger, new JsonObject().put("bot_id", publicBot));
    assertEquals(201, created.status());
    assertEquals(0L, created.body().getLong("last_seq"));
  }
}
