package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import chorus.node.support.Await;
import chorus.node.support.TestCluster;
import chorus.node.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The node's AI role calls the configured model API, and a bot's settings choose another:
 * a real HTTP server speaks the OpenAI and Anthropic streaming protocols in place of the paid services.
 */
class AiProviderWiringTest {
  private static final String OPENAI_KEY = "sk-wiring-openai-key";
  private static final String ANTHROPIC_KEY = "sk-ant-wiring-key";
  private static Vertx fakeVertx;
  private static HttpServer fake;
  private static final List<JsonObject> requests = new CopyOnWriteArrayList<>();
  static TestCluster cluster;

  @BeforeAll
  static void start() {
    fakeVertx = Vertx.vertx();
    fake = Await.result(fakeVertx.createHttpServer().requestHandler(AiProviderWiringTest::answer).listen(0), Duration.ofSeconds(10));
    String base = "http://127.0.0.1:" + fake.actualPort();
    cluster = TestCluster.start(1, config -> config.getJsonObject("ai")
        .put("provider", "openai")
        .put("openaiBaseUrl", base + "/v1")
        .put("openaiApiKey", OPENAI_KEY)
        .put("anthropicBaseUrl", base)
        .put("anthropicApiKey", ANTHROPIC_KEY));
  }

  @AfterAll
  static void stop() {
    cluster.close();
    Await.result(fakeVertx.close(), Duration.ofSeconds(10));
  }

  /** Streams a three-piece reply in the protocol of the path asked for, recording what was sent. */
  private static void answer(HttpServerRequest request) {
    request.body().onSuccess(body -> {
      requests.add(new JsonObject().put("path", request.path()).put("body", body.toJsonObject())
          .put("authorization", request.getHeader("authorization")).put("x-api-key", request.getHeader("x-api-key")));
      request.response().setChunked(true).putHeader("content-type", "text/event-stream");
      if (request.path().equals("/v1/chat/completions")) {
        for (String piece : new String[] {"Hello ", "from ", "openai"}) {
          request.response().write("data: " + new JsonObject().put("model", "gpt-wiring")
              .put("choices", new JsonArray().add(new JsonObject().put("delta", new JsonObject().put("content", piece)))).encode() + "\n\n");
        }
        request.response().write("data: " + new JsonObject().put("choices", new JsonArray().add(new JsonObject()
            .put("delta", new JsonObject()).put("finish_reason", "stop"))).encode() + "\n\n");
        request.response().write("data: " + new JsonObject().put("choices", new JsonArray())
            .put("usage", new JsonObject().put("prompt_tokens", 12).put("completion_tokens", 3)).encode() + "\n\n");
        request.response().end("data: [DONE]\n\n");
      } else {
        request.response().write("event: message_start\ndata: " + new JsonObject().put("type", "message_start")
            .put("message", new JsonObject().put("model", "claude-wiring").put("usage", new JsonObject().put("input_tokens", 9))).encode() + "\n\n");
        for (String piece : new String[] {"Hello ", "from ", "anthropic"}) {
          request.response().write("event: content_block_delta\ndata: " + new JsonObject().put("type", "content_block_delta")
              .put("delta", new JsonObject().put("type", "text_delta").put("text", piece)).encode() + "\n\n");
        }
        request.response().write("event: message_delta\ndata: " + new JsonObject().put("type", "message_delta")
            .put("delta", new JsonObject().put("stop_reason", "end_turn")).put("usage", new JsonObject().put("output_tokens", 3)).encode() + "\n\n");
        request.response().end("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
      }
    });
  }

  private JsonObject replyTo(String conversationId, String token, String text) {
    WsClient ws = cluster.connect(0, "/api/v1/conversations/" + conversationId + "/ws?token=" + token);
    ws.next("connection_ack");
    ws.userMessage(text, null);
    ws.next("message_received");
    JsonObject frame = ws.next("assistant_message");
    assertFalse(frame.encode().contains(OPENAI_KEY) || frame.encode().contains(ANTHROPIC_KEY));
    ws.close();
    return frame.getJsonObject("message");
  }

  private JsonObject lastRequestTo(String path) {
    for (int i = requests.size() - 1; i >= 0; i--) {
      if (requests.get(i).getString("path").equals(path)) {
        return requests.get(i);
      }
    }
    throw new AssertionError("no request to " + path);
  }

  @Test
  void theGlobalProviderAnswersWithThePersonalityAsSystemPromptAndStoresUsage() {
    String token = cluster.token(TestCluster.newUserId());
    String conversationId = cluster.newConversation(token, "Ada", "You are Ada, a patient tutor.");
    JsonObject reply = replyTo(conversationId, token, "What is 7 times 8?");
    assertEquals("Hello from openai", reply.getString("content"));
    JsonObject meta = reply.getJsonObject("meta");
    assertEquals("openai", meta.getString("provider"));
    assertEquals("gpt-wiring", meta.getString("model"));
    assertEquals("stop", meta.getString("finish_reason"));
    assertEquals(12, meta.getInteger("prompt_tokens"));
    assertEquals(3, meta.getInteger("completion_tokens"));

    JsonObject sent = lastRequestTo("/v1/chat/completions");
    assertEquals("Bearer " + OPENAI_KEY, sent.getString("authorization"));
    JsonArray messages = sent.getJsonObject("body").getJsonArray("messages");
    assertEquals(new JsonObject().put("role", "system").put("content", "You are Ada, a patient tutor."), messages.getJsonObject(0));
    assertEquals(new JsonObject().put("role", "user").put("content", "What is 7 times 8?"), messages.getJsonObject(messages.size() - 1));
  }

  @Test
  void aBotsSettingsPickAnotherProviderAndModel() {
    String token = cluster.token(TestCluster.newUserId());
    TestCluster.HttpResult bot = cluster.post(0, "/api/v1/bots", token, new JsonObject().put("name", "Claude").put("personality", "You are terse.")
        .put("settings", new JsonObject().put("provider", "anthropic").put("model", "claude-wiring").put("max_tokens", 50)));
    assertEquals(201, bot.status());
    String conversationId = cluster.post(0, "/api/v1/conversations", token,
        new JsonObject().put("bot_id", bot.body().getString("id")).put("title", "t")).body().getString("id");
    JsonObject reply = replyTo(conversationId, token, "hi");
    assertEquals("Hello from anthropic", reply.getString("content"));
    assertEquals("anthropic", reply.getJsonObject("meta").getString("provider"));
    assertEquals(9, reply.getJsonObject("meta").getInteger("prompt_tokens"));

    JsonObject sent = lastRequestTo("/v1/messages");
    assertEquals(ANTHROPIC_KEY, sent.getString("x-api-key"));
    assertEquals("You are terse.", sent.getJsonObject("body").getString("system"));
    assertEquals("claude-wiring", sent.getJsonObject("body").getString("model"));
    assertEquals(50, sent.getJsonObject("body").getInteger("max_tokens"));
  }
}
