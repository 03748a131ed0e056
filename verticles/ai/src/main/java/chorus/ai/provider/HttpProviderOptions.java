package chorus.ai.provider;

import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * How the HTTP providers call a model, from the {@code ai} section of the node config:
 * timeouts, retries, the SSE line cap, the prompt budget and the model defaults a bot's
 * settings may override. Defaults are those of config/node.json.
 *
 * @param betweenTokensTimeoutMs the longest silence allowed once the first token has arrived
 * @param totalTimeoutMs the longest a whole generation may take, retries included
 * @param retries how many times a call is tried again (429, 5xx, connection errors, before any output only)
 * @param retryBaseMs the first backoff; it doubles per retry, with jitter, up to {@code retryMaxMs}
 * @param retryMaxMs the longest wait before a retry, also the cap on a server's Retry-After
 * @param maxSseLineBytes the longest server-sent-events line accepted; longer fails with {@code line_too_long}
 * @param promptTokenBudget the estimated tokens (chars / 4) the system prompt and the history may take
 * @param openaiTokenLimitParameter the body field the {@code openai} provider puts the reply's token
 *     limit in: {@code max_tokens}, {@code max_completion_tokens}, or {@code auto} (the latter for
 *     OpenAI itself, the former for any other server; see {@link OpenAiProvider#tokenLimitParameter})
 */
public record HttpProviderOptions(
    long connectTimeoutMs,
    long firstTokenTimeoutMs,
    long betweenTokensTimeoutMs,
    long totalTimeoutMs,
    int retries,
    long retryBaseMs,
    long retryMaxMs,
    int maxSseLineBytes,
    int promptTokenBudget,
    double temperature,
    int maxTokens,
    int maxConnections,
    String openaiTokenLimitParameter) {
  static final Set<String> TOKEN_LIMIT_PARAMETERS = java.util.Set.of("auto", "max_tokens", "max_completion_tokens");

  public static HttpProviderOptions from(JsonObject ai) {
    HttpProviderOptions options = new HttpProviderOptions(
        ConfigValues.longValue(ai, "connectTimeoutMs", 5_000L),
        ConfigValues.longValue(ai, "firstTokenTimeoutMs", 60_000L),
        ConfigValues.longValue(ai, "betweenTokensTimeoutMs", 30_000L),
        ConfigValues.longValue(ai, "totalTimeoutMs", 300_000L),
        (int) ConfigValues.longValue(ai, "retries", 2L),
        ConfigValues.longValue(ai, "retryBaseMs", 500L),
        ConfigValues.longValue(ai, "retryMaxMs", 10_000L),
        (int) ConfigValues.longValue(ai, "maxSseLineBytes", 1_048_576L),
        (int) ConfigValues.longValue(ai, "promptTokenBudget", 4_000L),
        ConfigValues.doubleValue(ai, "temperature", 0.7),
        (int) ConfigValues.longValue(ai, "maxTokens", 1_024L),
        (int) ConfigValues.longValue(ai, "maxConnections", 64L),
        ai.getString("openaiTokenLimitParameter", "auto").strip());
    if (options.connectTimeoutMs <= 0 || options.firstTokenTimeoutMs <= 0 || options.betweenTokensTimeoutMs <= 0
        || options.totalTimeoutMs <= 0 || options.retries < 0 || options.retryBaseMs <= 0 || options.retryMaxMs <= 0
        || options.maxSseLineBytes <= 0 || options.promptTokenBudget <= 0 || options.maxTokens <= 0 || options.maxConnections <= 0) {
      throw new IllegalArgumentException("ai timeouts, retryBaseMs, retryMaxMs, maxSseLineBytes, promptTokenBudget, maxTokens "
          + "and maxConnections must be positive, ai.retries not negative");
    }
    if (!(options.temperature >= 0 && options.temperature <= 2)) {
      throw new IllegalArgumentException("ai.temperature must be between 0 and 2");
    }
    if (!TOKEN_LIMIT_PARAMETERS.contains(options.openaiTokenLimitParameter)) {
      throw new IllegalArgumentException("ai.openaiTokenLimitParameter must be auto, max_tokens or max_completion_tokens");
    }
    return options;
  }
}
