package chorus.ai.provider;

import static chorus.ai.provider.FakeModelServer.stall;
import static chorus.ai.provider.FakeModelServer.status;
import static chorus.ai.provider.FakeModelServer.stream;
import static chorus.ai.provider.ProviderTestSupport.GLOBAL_KEY;
import static chorus.ai.provider.ProviderTestSupport.ai;
import static chorus.ai.provider.ProviderTestSupport.anthropicEnd;
import static chorus.ai.provider.ProviderTestSupport.anthropicEvent;
import static chorus.ai.provider.ProviderTestSupport.anthropicStart;
import static chorus.ai.provider.ProviderTestSupport.anthropicText;
import static chorus.ai.provider.ProviderTestSupport.generate;
import static chorus.ai.provider.ProviderTestSupport.registry;
import static chorus.ai.provider.ProviderTestSupport.work;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.ai.Cancellation;
import chorus.ai.GeneratedReply;
import chorus.ai.ProviderFailure;
import chorus.ai.provider.ProviderTestSupport.Deltas;
import chorus.shared.bus.ReplyWork;
import chorus.shared.domain.Role;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The anthropic provider against a real HTTP server speaking the Messages streaming protocol. */
class AnthropicProviderTest extends FakeServerProviderTest {
  private static ReplyWork question(String text) {
    return work("You are Ada.", Map.of(), text);
  }

  private static String contentBlockStart() {
    return anthropicEvent("content_block_start", new JsonObject().put("index", 0)
        .put("content_block", new JsonObject().put("type", "text").put("text", "")));
  }

  @Test
  void aStreamIsPassedOnInOrderWithUsageAndStopReason() throws Exception {
    server.then(stream(anthropicStart(25), contentBlockStart(), anthropicEvent("ping", new JsonObject()),
        anthropicText("Bonjour"), anthropicText(", "), anthropicText("monde"),
        anthropicEvent("content_block_stop", new JsonObject().put("index", 0)), anthropicEnd("max_tokens", 7)));
    Deltas deltas = new Deltas();
    GeneratedReply reply = reply(ai("anthropic", server.baseUrl()), question("hello"), deltas);
    assertEquals(List.of("Bonjour", ", ", "monde"), deltas.pieces);
    assertEquals("Bonjour, monde", reply.content());
    assertEquals("anthropic", reply.meta().get("provider"));
    assertEquals("claude-test-2025", reply.meta().get("model"));
    assertEquals("length", reply.meta().get("finish_reason"));
    assertEquals(25L, reply.meta().get("prompt_tokens"));
    assertEquals(7L, reply.meta().get("completion_tokens"));
    assertTrue(reply.meta().get("first_token_ms") instanceof Long);
  }

  @Test
  void theRequestCarriesHeadersSystemPromptAlternatingTurnsAndBotSettings() throws Exception {
    server.then(stream(anthropicStart(3), anthropicText("ok"), anthropicEnd("end_turn", 1)));
    ReplyWork base = work("You are Ada.", Map.of("model", "claude-x", "temperature", 1.5, "max_tokens", 64), "unused");
    // an assistant greeting first, two user messages in a row: the API wants alternation from the user
    ReplyWork work = new ReplyWork(base.jobId(), base.conversationId(), null, 1, base.bot(), List.of(
        ProviderTestSupport.message(1, Role.ASSISTANT, "Welcome!"),
        ProviderTestSupport.message(2, Role.USER, "first"),
        ProviderTestSupport.message(3, Role.USER, "second"),
        ProviderTestSupport.message(4, Role.ASSISTANT, "answer"),
        ProviderTestSupport.message(5, Role.SYSTEM, "alice joined"),
        ProviderTestSupport.message(6, Role.USER, "and now?")));
    GeneratedReply reply = reply(ai("anthropic", server.baseUrl()), work, new Deltas());
    assertEquals("stop", reply.meta().get("finish_reason"));

    FakeModelServer.Received request = server.received.get(0);
    assertEquals("/v1/messages", request.path());
    assertEquals(GLOBAL_KEY, request.headers().get("x-api-key"));
    assertEquals("2023-06-01", request.headers().get("anthropic-version"));
    assertFalse(request.headers().containsKey("authorization"));
    JsonObject body = request.body();
    assertEquals("You are Ada.", body.getString("system"));
    assertEquals("claude-x", body.getString("model"));
    assertEquals(64, body.getInteger("max_tokens"));
    assertEquals(1.0, body.getDouble("temperature")); // Anthropic's range ends at 1
    assertEquals(true, body.getBoolean("stream"));
    assertEquals(new JsonArray()
        .add(new JsonObject().put("role", "user").put("content", "first\n\nsecond"))
        .add(new JsonObject().put("role", "assistant").put("content", "answer"))
        .add(new JsonObject().put("role", "user").put("content", "and now?")), body.getJsonArray("messages"));
  }

  @Test
  void overloadedBeforeTheFirstTokenIsRetriedAsIsA529() throws Exception {
    server.then(status(529));
    server.then(stream(anthropicStart(3), anthropicEvent("error",
        new JsonObject().put("error", new JsonObject().put("type", "overloaded_error").put("message", "Overloaded")))));
    server.then(stream(anthropicStart(3), anthropicText("third time"), anthropicEnd("end_turn", 2)));
    GeneratedReply reply = reply(ai("anthropic", server.baseUrl()), question("hi"), new Deltas());
    assertEquals("third time", reply.content());
    assertEquals(3, server.received.size());
  }

  @Test
  void anErrorEventAfterTheFirstTokenFailsWithThePartialTextAndNoRetry() {
    server.then(stream(anthropicStart(3), anthropicText("Part"), anthropicEvent("error",
        new JsonObject().put("error", new JsonObject().put("type", "overloaded_error").put("message", "Overloaded")))));
    server.then(stream(anthropicStart(3), anthropicText("other"), anthropicEnd("end_turn", 2)));
    ProviderFailure failure = failure(ai("anthropic", server.baseUrl()), question("hi"));
    assertEquals("upstream_error", failure.kind());
    assertEquals("Part", failure.partialContent());
    assertEquals(1, server.received.size());
  }

  @Test
  void anEventOfTheWrongShapeFailsAsMalformedKeepingTheText() {
    // JSON, but the delta is a string, not an object
    server.then(stream(anthropicStart(3), anthropicText("Part"), anthropicEvent("content_block_delta", new JsonObject().put("delta", "oops"))));
    ProviderFailure failure = failure(ai("anthropic", server.baseUrl()), question("hi"));
    assertEquals("malformed_chunk", failure.kind());
    assertEquals("Part", failure.partialContent());
  }

  @Test
  void anAuthenticationErrorIsNotRetried() {
    server.then(status(401));
    ProviderFailure failure = failure(ai("anthropic", server.baseUrl()), question("hi"));
    assertEquals("http_401", failure.kind());
    assertEquals(1, server.received.size());
  }

  @Test
  void aStalledStreamTimesOut() throws Exception {
    server.then(stall(anthropicStart(3), anthropicEvent("ping", new JsonObject())));
    ProviderFailure failure = failure(ai("anthropic", server.baseUrl()).put("firstTokenTimeoutMs", 300), question("hi"));
    assertEquals("timeout_first_token", failure.kind());
    server.received.get(0).connectionClosed().await(30, TimeUnit.SECONDS);
  }

  @Test
  void anOversizedLineFails() {
    server.then(stall(anthropicStart(3), "data: " + "x".repeat(5000)));
    ProviderFailure failure = failure(ai("anthropic", server.baseUrl()).put("maxSseLineBytes", 2048), question("hi"));
    assertEquals("line_too_long", failure.kind());
  }

  @Test
  void cancellingStopsTheUpstreamAndKeepsThePartialReply() throws Exception {
    server.then(server.endless(40, i -> i == 0 ? anthropicStart(3) : anthropicText("t" + i + " ")));
    Deltas deltas = new Deltas();
    Cancellation cancellation = new Cancellation();
    GeneratedReply reply = generate(vertx, registry(vertx, ai("anthropic", server.baseUrl())), question("talk"), piece -> {
      deltas.delta(piece);
      if (deltas.pieces.size() == 2) {
        cancellation.cancel();
      }
    }, cancellation).await(30, TimeUnit.SECONDS);
    assertEquals("t1 t2 ", reply.content());
    assertEquals("stopped", reply.meta().get("finish_reason"));
    assertEquals(3L, reply.meta().get("prompt_tokens"));
    server.received.get(0).connectionClosed().await(30, TimeUnit.SECONDS);
  }
}
