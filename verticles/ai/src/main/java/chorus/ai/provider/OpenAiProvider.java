package chorus.ai.provider;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.List;

/**
 * The OpenAI-compatible chat completions API, streamed: OpenAI itself, and the servers that
 * speak it (Ollama, vLLM, llama.cpp's server, LM Studio). {@code POST {baseUrl}/chat/completions}
 * with {@code stream: true} and {@code stream_options.include_usage}; events are
 * {@code data: {chunk}} lines with {@code choices[0].delta.content}, a last chunk with
 * {@code usage}, then {@code data: [DONE]}. The key, when there is one, goes as a bearer token.
 */
public final class OpenAiProvider extends StreamingHttpProvider {
  public static final String NAME = "openai";
  public static final String DEFAULT_BASE_URL = "https://api.openai.com/v1";
  public static final String DEFAULT_MODEL = "gpt-4o-mini";
  private static final ObjectReader CHUNK = StreamEvents.readerFor(Chunk.class);

  public OpenAiProvider(Vertx vertx, HttpClient client, HttpProviderOptions options) {
    super(vertx, client, options);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  String url(Endpoint endpoint) {
    return endpoint.baseUrl() + "/chat/completions";
  }

  @Override
  void headers(Endpoint endpoint, RequestOptions request) {
    if (endpoint.hasKey()) {
      request.putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + endpoint.apiKey());
    }
  }

  @Override
  JsonObject body(ModelCall call) {
    JsonArray messages = new JsonArray();
    if (!call.prompt().system().isEmpty()) {
      messages.add(new JsonObject().put("role", "system").put("content", call.prompt().system()));
    }
    call.prompt().messages().forEach(m -> messages.add(new JsonObject().put("role", m.role()).put("content", m.content())));
    return new JsonObject()
        .put("model", call.model())
        .put("messages", messages)
        .put("temperature", call.temperature())
        .put(tokenLimitParameter(options.openaiTokenLimitParameter(), call.endpoint()), call.maxTokens())
        .put("stream", true)
        .put("stream_options", new JsonObject().put("include_usage", true));
  }

  /**
   * Where the token limit goes. OpenAI has deprecated {@code max_tokens} and its reasoning
   * models (o-series, GPT-5) refuse it, while every current OpenAI chat model takes
   * {@code max_completion_tokens}; the compatible servers (Ollama, vLLM, llama.cpp, LM Studio)
   * have always known {@code max_tokens} and not all of them know the new name. So
   * {@code auto} sends the new name to api.openai.com and the old one anywhere else.
   */
  static String tokenLimitParameter(String configured, Endpoint endpoint) {
    if (!configured.equals("auto")) {
      return configured;
    }
    String host;
    try {
      host = URI.create(endpoint.baseUrl()).getHost();
    } catch (IllegalArgumentException e) {
      host = null;
    }
    return "api.openai.com".equalsIgnoreCase(host) ? "max_completion_tokens" : "max_tokens";
  }

  @Override
  void onEvent(String event, String data, Generation generation) {
    if (data.strip().equals("[DONE]")) {
      generation.complete();
      return;
    }
    Chunk chunk = StreamEvents.read(CHUNK, data);
    if (chunk.error() != null) {
      generation.upstreamError(false);
      return;
    }
    generation.model(chunk.model());
    if (chunk.choices() != null && !chunk.choices().isEmpty() && chunk.choices().get(0) != null) {
      Choice choice = chunk.choices().get(0);
      if (choice.delta() != null) {
        generation.delta(choice.delta().content());
      }
      generation.finishReason(choice.finishReason());
    }
    if (chunk.usage() != null) {
      generation.promptTokens(chunk.usage().promptTokens());
      generation.completionTokens(chunk.usage().completionTokens());
    }
  }

  /** The fields of a chat completion chunk that are read; {@code error} is there (even null) when the server failed mid-stream. */
  record Chunk(String model, List<Choice> choices, Usage usage, JsonNode error) {}

  record Choice(Delta delta, @JsonProperty("finish_reason") String finishReason) {}

  record Delta(String content) {}

  record Usage(@JsonProperty("prompt_tokens") Long promptTokens, @JsonProperty("completion_tokens") Long completionTokens) {}
}
