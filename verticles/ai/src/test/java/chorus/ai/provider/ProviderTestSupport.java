package chorus.ai.provider;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.ai.Cancellation;
import chorus.ai.DeltaSink;
import chorus.ai.GeneratedReply;
import chorus.ai.ProviderFailure;
import chorus.ai.ReplyProvider;
import chorus.shared.bus.ReplyWork;
import chorus.shared.domain.Bot;
import chorus.shared.domain.BotKind;
import chorus.shared.domain.Role;
import chorus.shared.domain.StoredMessage;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/** Builds reply work and runs a provider on a Vert.x context, as the AI verticle does. */
final class ProviderTestSupport {
  /** How long a test waits for a provider's outcome (a bound, not an expectation). */
  private static final int OUTCOME_WAIT_SECONDS = 60;

  static final String GLOBAL_KEY = "sk-test-global-0123456789";

  private ProviderTestSupport() {}

  static final UUID CONVERSATION = UUID.randomUUID();

  static StoredMessage message(long seq, Role role, String content) {
    return new StoredMessage(UUID.randomUUID(), CONVERSATION, seq, role, "u1", content, Map.of(), null, null, Instant.EPOCH);
  }

  /** A conversation of alternating user and assistant messages, ending with the user's {@code question}. */
  static ReplyWork work(String personality, Map<String, Object> settings, String... contents) {
    List<StoredMessage> history = new ArrayList<>();
    for (int i = 0; i < contents.length; i++) {
      history.add(message(i + 1, i % 2 == 0 ? Role.USER : Role.ASSISTANT, contents[i]));
    }
    Bot bot = new Bot(UUID.randomUUID(), "owner", "Ada", BotKind.LLM, personality, settings, false, Instant.EPOCH);
    return new ReplyWork(UUID.randomUUID(), CONVERSATION, history.get(history.size() - 1).id(), 1, bot, history);
  }

  /** Test timings: short timeouts so stalls are seen quickly, quick retries. */
  static JsonObject ai(String provider, String baseUrl) {
    return new JsonObject()
        .put("provider", provider)
        .put("openaiBaseUrl", baseUrl + "/v1")
        .put("openaiApiKey", GLOBAL_KEY)
        .put("openaiModel", "gpt-test")
        .put("anthropicBaseUrl", baseUrl)
        .put("anthropicApiKey", GLOBAL_KEY)
        .put("anthropicModel", "claude-test")
        .put("connectTimeoutMs", 2000)
        .put("firstTokenTimeoutMs", 15000)
        .put("betweenTokensTimeoutMs", 15000)
        .put("totalTimeoutMs", 40000)
        .put("retries", 2)
        .put("retryBaseMs", 20)
        .put("retryMaxMs", 200);
  }

  /** Records the deltas a provider streams. */
  static final class Deltas implements DeltaSink {
    final List<String> pieces = new CopyOnWriteArrayList<>();

    @Override
    public void delta(String text) {
      pieces.add(text);
    }

    String joined() {
      return String.join("", pieces);
    }
  }

  /** Runs {@code generate} on an event-loop context, as the verticle would. */
  static Future<GeneratedReply> generate(Vertx vertx, ReplyProvider provider, ReplyWork work, DeltaSink sink, Cancellation cancellation) {
    Context context = vertx.getOrCreateContext();
    Promise<GeneratedReply> result = Promise.promise();
    context.runOnContext(v -> provider.generate(work, sink, cancellation).onComplete(result));
    return result.future();
  }

  /** The reply {@code provider} generates for {@code work}. */
  static GeneratedReply reply(Vertx vertx, ReplyProvider provider, ReplyWork work, DeltaSink sink) throws Exception {
    return generate(vertx, provider, work, sink, new Cancellation()).await(OUTCOME_WAIT_SECONDS, TimeUnit.SECONDS);
  }

  /** The ProviderFailure {@code provider} fails {@code work} with; neither its message nor its text names the global key. */
  static ProviderFailure failure(Vertx vertx, ReplyProvider provider, ReplyWork work, DeltaSink sink) {
    Future<GeneratedReply> generated = generate(vertx, provider, work, sink, new Cancellation());
    Throwable thrown = assertThrows(Throwable.class, () -> generated.await(OUTCOME_WAIT_SECONDS, TimeUnit.SECONDS));
    Throwable cause = thrown instanceof ExecutionException ? thrown.getCause() : thrown;
    assertTrue(cause instanceof ProviderFailure, "expected a ProviderFailure, got " + cause);
    ProviderFailure failure = (ProviderFailure) cause;
    assertFalse(String.valueOf(failure.getMessage()).contains(GLOBAL_KEY));
    assertFalse(failure.toString().contains(GLOBAL_KEY));
    return failure;
  }

  /**
   * An OpenAI chunk carrying a piece of content, with the fields Chorus does not read that
   * OpenAI sends (objects and arrays among them: they must be skipped whole).
   */
  static String openAiChunk(String content) {
    JsonObject logprobs = new JsonObject().put("content", new io.vertx.core.json.JsonArray().add(new JsonObject()
        .put("token", content).put("logprob", -0.25).put("top_logprobs", new io.vertx.core.json.JsonArray())));
    return "data: " + new JsonObject().put("id", "c1").put("object", "chat.completion.chunk").put("created", 1694268190)
        .put("model", "gpt-test-2024").put("system_fingerprint", "fp_44709d6fcb").putNull("service_tier")
        .put("choices", new io.vertx.core.json.JsonArray().add(new JsonObject().put("index", 0)
            .put("delta", new JsonObject().put("role", "assistant").put("content", content).putNull("refusal"))
            .put("logprobs", logprobs).putNull("finish_reason"))).encode() + "\n\n";
  }

  static String openAiFinish(String reason) {
    return "data: " + new JsonObject().put("model", "gpt-test-2024")
        .put("choices", new io.vertx.core.json.JsonArray().add(new JsonObject().put("index", 0)
            .put("delta", new JsonObject()).put("finish_reason", reason))).encode() + "\n\n";
  }

  static String openAiUsage(int prompt, int completion) {
    return "data: " + new JsonObject().put("model", "gpt-test-2024").put("choices", new io.vertx.core.json.JsonArray())
        .put("usage", new JsonObject().put("prompt_tokens", prompt).put("completion_tokens", completion)
            .put("total_tokens", prompt + completion)).encode() + "\n\n";
  }

  static final String OPENAI_DONE = "data: [DONE]\n\n";

  static String anthropicEvent(String type, JsonObject data) {
    return "event: " + type + "\ndata: " + data.put("type", type).encode() + "\n\n";
  }

  static String anthropicText(String text) {
    return anthropicEvent("content_block_delta", new JsonObject().put("index", 0)
        .put("delta", new JsonObject().put("type", "text_delta").put("text", text)));
  }

  static String anthropicStart(int inputTokens) {
    return anthropicEvent("message_start", new JsonObject().put("message", new JsonObject().put("id", "msg_1")
        .put("model", "claude-test-2025").put("role", "assistant")
        .put("usage", new JsonObject().put("input_tokens", inputTokens).put("output_tokens", 1))));
  }

  static String anthropicEnd(String stopReason, int outputTokens) {
    return anthropicEvent("message_delta", new JsonObject().put("delta", new JsonObject().put("stop_reason", stopReason))
        .put("usage", new JsonObject().put("output_tokens", outputTokens)))
        + anthropicEvent("message_stop", new JsonObject());
  }

  /** Stands in for the local development provider (package-private in chorus.ai) where a test needs to see it chosen. */
  static final ReplyProvider LOCAL = new ReplyProvider() {
    @Override
    public String name() {
      return "local";
    }

    @Override
    public Future<GeneratedReply> generate(ReplyWork work, DeltaSink sink, Cancellation cancellation) {
      return Future.succeededFuture(new GeneratedReply("local reply", Map.of("provider", "local")));
    }
  };

  static ProviderRegistry registry(Vertx vertx, JsonObject ai) {
    return ProviderRegistry.create(vertx, ai, Map.of(), LOCAL);
  }
}
