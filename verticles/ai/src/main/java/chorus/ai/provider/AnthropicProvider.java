package chorus.ai.provider;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectReader;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Anthropic's Messages API, streamed: {@code POST {baseUrl}/v1/messages} with {@code x-api-key}
 * and {@code anthropic-version}. Events: {@code message_start} (input tokens, model),
 * {@code content_block_delta} (the text), {@code message_delta} (stop reason, output tokens),
 * {@code message_stop}, and {@code error}. The API wants turns alternating from the user and
 * a temperature of at most 1, so consecutive turns are joined and the temperature capped.
 */
public final class AnthropicProvider extends StreamingHttpProvider {
  public static final String NAME = "anthropic";
  public static final String DEFAULT_BASE_URL = "https://api.anthropic.com";
  public static final String DEFAULT_MODEL = "claude-3-5-haiku-latest";
  public static final String DEFAULT_VERSION = "2023-06-01";
  private static final ObjectReader EVENT = StreamEvents.readerFor(Event.class);

  private final String apiVersion;

  public AnthropicProvider(Vertx vertx, HttpClient client, HttpProviderOptions options, String apiVersion) {
    super(vertx, client, options);
    this.apiVersion = apiVersion;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  String url(Endpoint endpoint) {
    return endpoint.baseUrl() + "/v1/messages";
  }

  @Override
  void headers(Endpoint endpoint, RequestOptions request) {
    request.putHeader("anthropic-version", apiVersion);
    if (endpoint.hasKey()) {
      request.putHeader("x-api-key", endpoint.apiKey());
    }
  }

  @Override
  JsonObject body(ModelCall call) {
    JsonArray messages = new JsonArray();
    PromptBuilder.alternating(call.prompt().messages())
        .forEach(m -> messages.add(new JsonObject().put("role", m.role()).put("content", m.content())));
    JsonObject body = new JsonObject()
        .put("model", call.model())
        .put("max_tokens", call.maxTokens())
        .put("temperature", Math.min(1.0, call.temperature()))
        .put("stream", true)
        .put("messages", messages);
    if (!call.prompt().system().isEmpty()) {
      body.put("system", call.prompt().system());
    }
    return body;
  }

  @Override
  void onEvent(String event, String data, Generation generation) {
    Event payload = StreamEvents.read(EVENT, data);
    String type = event.isEmpty() ? (payload.type() == null ? "" : payload.type()) : event;
    switch (type) {
      case "message_start" -> {
        if (payload.message() != null) {
          generation.model(payload.message().model());
          if (payload.message().usage() != null) {
            generation.promptTokens(payload.message().usage().inputTokens());
          }
        }
      }
      case "content_block_delta" -> {
        if (payload.delta() != null && "text_delta".equals(payload.delta().type())) {
          generation.delta(payload.delta().text());
        }
      }
      case "message_delta" -> {
        if (payload.delta() != null) {
          generation.finishReason(finishReason(payload.delta().stopReason()));
        }
        if (payload.usage() != null) {
          generation.completionTokens(payload.usage().outputTokens());
        }
      }
      case "message_stop" -> generation.complete();
      case "error" -> generation.upstreamError(payload.error() != null && "overloaded_error".equals(payload.error().type()));
      default -> { } // ping, content_block_start/stop: nothing to keep
    }
  }

  /** The fields of a streamed event that are read, whatever its type. */
  record Event(String type, Message message, Delta delta, Usage usage, ErrorBody error) {}

  record Message(String model, Usage usage) {}

  record Delta(String type, String text, @JsonProperty("stop_reason") String stopReason) {}

  record Usage(@JsonProperty("input_tokens") Long inputTokens, @JsonProperty("output_tokens") Long outputTokens) {}

  record ErrorBody(String type) {}

  /** Anthropic's stop reasons in the words the OpenAI-compatible provider stores. */
  static String finishReason(String stopReason) {
    if (stopReason == null) {
      return null;
    }
    return switch (stopReason) {
      case "end_turn", "stop_sequence" -> "stop";
      case "max_tokens" -> "length";
      default -> stopReason;
    };
  }
}
