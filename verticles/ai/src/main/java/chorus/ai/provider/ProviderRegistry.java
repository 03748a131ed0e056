package chorus.ai.provider;

import chorus.ai.Cancellation;
import chorus.ai.DeltaSink;
import chorus.ai.GeneratedReply;
import chorus.ai.ProviderFailure;
import chorus.ai.ReplyProvider;
import chorus.shared.bus.ReplyWork;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Picks the provider for each reply: the bot's {@code provider} setting over {@code ai.provider},
 * {@code local} when neither names one. Built once from the {@code ai} config section; a bad
 * global configuration fails the start with a clear message, a bad bot setting fails only
 * that bot's replies, with a {@link ProviderFailure} ({@code unknown_provider},
 * {@code unknown_credential}, {@code base_url_not_allowed}, {@code invalid_bot_settings}).
 *
 * <p>Keys come from configuration or the environment only. A bot names a credential, never
 * holds a key, and a key is sent only to the base URL it is configured for: a bot that points
 * at another base URL (which must be in {@code ai.allowedBaseUrls}) gets no key, so a bot
 * owner can not have a key sent to a server of their choosing.
 */
public final class ProviderRegistry implements ReplyProvider {
  public static final String LOCAL = "local";
  public static final List<String> NAMES = List.of(LOCAL, OpenAiProvider.NAME, AnthropicProvider.NAME);

  /** One HTTP provider with its global endpoint and model. */
  private record Backend(StreamingHttpProvider provider, Endpoint endpoint, String model) {}

  /** A named key, bound to a base URL ("" binds it to the provider's global one). */
  private record Credential(String apiKey, String baseUrl) {
    @Override
    public String toString() {
      return "Credential[" + baseUrl + "]";
    }
  }

  private final String defaultProvider;
  private final ReplyProvider local;
  private final Map<String, Backend> backends;
  private final Map<String, Credential> credentials;
  private final Set<String> allowedBaseUrls;
  private final HttpProviderOptions options;

  private ProviderRegistry(String defaultProvider, ReplyProvider local, Map<String, Backend> backends,
      Map<String, Credential> credentials, Set<String> allowedBaseUrls, HttpProviderOptions options) {
    this.defaultProvider = defaultProvider;
    this.local = local;
    this.backends = backends;
    this.credentials = credentials;
    this.allowedBaseUrls = allowedBaseUrls;
    this.options = options;
  }

  /**
   * @param ai the {@code ai} section of the node config
   * @param environment where {@code apiKeyEnv} of a named credential is looked up
   * @param local the development provider, the default
   * @throws IllegalArgumentException for an unknown {@code ai.provider} or an unusable setting
   */
  public static ProviderRegistry create(Vertx vertx, JsonObject ai, Map<String, String> environment, ReplyProvider local) {
    String provider = ConfigValues.string(ai, "provider", LOCAL).toLowerCase(Locale.ROOT);
    if (!NAMES.contains(provider)) {
      throw new IllegalArgumentException("unknown ai.provider '" + provider + "' (available: " + String.join(", ", NAMES) + ")");
    }
    HttpProviderOptions options = HttpProviderOptions.from(ai);
    HttpClient client = vertx.createHttpClient(
        new HttpClientOptions().setConnectTimeout((int) Math.min(Integer.MAX_VALUE, options.connectTimeoutMs()))
            .setForceSni(true)
            .setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(options.maxConnections()));
    Map<String, Backend> backends = new HashMap<>();
    backends.put(OpenAiProvider.NAME, new Backend(new OpenAiProvider(vertx, client, options),
        new Endpoint(ConfigValues.string(ai, "openaiBaseUrl", OpenAiProvider.DEFAULT_BASE_URL), ConfigValues.string(ai, "openaiApiKey", "")),
        ConfigValues.string(ai, "openaiModel", OpenAiProvider.DEFAULT_MODEL)));
    backends.put(AnthropicProvider.NAME, new Backend(
        new AnthropicProvider(vertx, client, options, ConfigValues.string(ai, "anthropicVersion", AnthropicProvider.DEFAULT_VERSION)),
        new Endpoint(ConfigValues.string(ai, "anthropicBaseUrl", AnthropicProvider.DEFAULT_BASE_URL), ConfigValues.string(ai, "anthropicApiKey", "")),
        ConfigValues.string(ai, "anthropicModel", AnthropicProvider.DEFAULT_MODEL)));
    requireKeyWhereNeeded(provider, backends);
    Set<String> allowed = Arrays.stream(ConfigValues.string(ai, "allowedBaseUrls", "").split(","))
        .map(Endpoint::normalise)
        .filter(url -> !url.isEmpty())
        .collect(Collectors.toUnmodifiableSet());
    return new ProviderRegistry(provider, local, Map.copyOf(backends), credentials(ai, environment), allowed, options);
  }

  /** The hosted APIs refuse calls without a key: say so at start-up rather than on every reply. */
  private static void requireKeyWhereNeeded(String provider, Map<String, Backend> backends) {
    Backend chosen = backends.get(provider);
    if (chosen == null || chosen.endpoint().hasKey()) {
      return;
    }
    boolean hosted = provider.equals(AnthropicProvider.NAME)
        || chosen.endpoint().baseUrl().equals(Endpoint.normalise(OpenAiProvider.DEFAULT_BASE_URL));
    if (hosted) {
      String key = provider.equals(AnthropicProvider.NAME) ? "anthropicApiKey (CHORUS_AI_ANTHROPIC_API_KEY)" : "openaiApiKey (CHORUS_AI_OPENAI_API_KEY)";
      throw new IllegalArgumentException("ai.provider '" + provider + "' at " + chosen.endpoint().baseUrl() + " needs ai." + key);
    }
  }

  /**
   * {@code ai.credentials}: {@code {"name": {"apiKey": "..." | "apiKeyEnv": "VARIABLE", "baseUrl": "..."}}},
   * or the same as a JSON string (as an environment override gives it).
   */
  private static Map<String, Credential> credentials(JsonObject ai, Map<String, String> environment) {
    Object raw = ai.getValue("credentials");
    JsonObject section;
    if (raw == null || (raw instanceof String s && s.isBlank())) {
      section = new JsonObject();
    } else if (raw instanceof JsonObject object) {
      section = object;
    } else {
      try {
        section = new JsonObject(raw.toString());
      } catch (RuntimeException e) {
        // not the value: it holds keys
        throw new IllegalArgumentException("ai.credentials must be a JSON object of named credentials");
      }
    }
    Map<String, Credential> credentials = new LinkedHashMap<>();
    for (String name : section.fieldNames()) {
      if (!(section.getValue(name) instanceof JsonObject entry)) {
        throw new IllegalArgumentException("ai.credentials." + name + " must be an object with apiKey or apiKeyEnv");
      }
      String key = ConfigValues.string(entry, "apiKey", "");
      String variable = ConfigValues.string(entry, "apiKeyEnv", "");
      if (key.isEmpty() && !variable.isEmpty()) {
        key = environment.getOrDefault(variable, "").strip();
      }
      if (key.isEmpty()) {
        throw new IllegalArgumentException("ai.credentials." + name + " has no key (apiKey, or apiKeyEnv naming a set environment variable)");
      }
      credentials.put(name, new Credential(key, Endpoint.normalise(ConfigValues.string(entry, "baseUrl", ""))));
    }
    return Map.copyOf(credentials);
  }

  /** The globally configured provider's name. */
  @Override
  public String name() {
    return defaultProvider;
  }

  @Override
  public Future<GeneratedReply> generate(ReplyWork work, DeltaSink sink, Cancellation cancellation) {
    Map<String, Object> settings = work.bot().settings() == null ? Map.of() : work.bot().settings();
    String provider = text(settings.get("provider"));
    provider = provider.isEmpty() ? defaultProvider : provider.toLowerCase(Locale.ROOT);
    if (provider.equals(LOCAL)) {
      return local.generate(work, sink, cancellation);
    }
    Backend backend = backends.get(provider);
    if (backend == null) {
      return Future.failedFuture(new ProviderFailure("unknown_provider", ""));
    }
    ModelCall call;
    try {
      call = new ModelCall(endpoint(backend, settings),
          text(settings.get("model")).isEmpty() ? backend.model() : text(settings.get("model")),
          temperature(settings.get("temperature")),
          maxTokens(settings.get("max_tokens")),
          PromptBuilder.build(work, options.promptTokenBudget()));
    } catch (ProviderFailure failure) {
      return Future.failedFuture(failure);
    } catch (RuntimeException e) {
      return Future.failedFuture(new ProviderFailure("invalid_request", ""));
    }
    return backend.provider().generate(call, sink, cancellation);
  }

  private Endpoint endpoint(Backend backend, Map<String, Object> settings) {
    String asked = Endpoint.normalise(text(settings.get("base_url")));
    String credentialName = text(settings.get("credential"));
    String globalUrl = backend.endpoint().baseUrl();
    if (!credentialName.isEmpty()) {
      Credential credential = credentials.get(credentialName);
      if (credential == null) {
        throw new ProviderFailure("unknown_credential", "");
      }
      String bound = credential.baseUrl().isEmpty() ? globalUrl : credential.baseUrl();
      if (asked.isEmpty() || asked.equals(bound)) {
        return new Endpoint(bound, credential.apiKey());
      }
      if (credential.baseUrl().isEmpty() && allowedBaseUrls.contains(asked)) {
        return new Endpoint(asked, credential.apiKey());
      }
      throw new ProviderFailure("base_url_not_allowed", "");
    }
    if (asked.isEmpty() || asked.equals(globalUrl)) {
      return backend.endpoint();
    }
    if (!allowedBaseUrls.contains(asked)) {
      throw new ProviderFailure("base_url_not_allowed", "");
    }
    return new Endpoint(asked, ""); // the global key belongs to the global base URL
  }

  private double temperature(Object value) {
    if (value == null || text(value).isEmpty()) {
      return options.temperature();
    }
    try {
      double temperature = value instanceof Number n ? n.doubleValue() : Double.parseDouble(text(value));
      if (temperature >= 0 && temperature <= 2) {
        return temperature;
      }
    } catch (NumberFormatException ignored) {
      // falls through to the failure below
    }
    throw new ProviderFailure("invalid_bot_settings", "");
  }

  private int maxTokens(Object value) {
    if (value == null || text(value).isEmpty()) {
      return options.maxTokens();
    }
    try {
      long tokens = value instanceof Number n ? n.longValue() : Long.parseLong(text(value));
      if (tokens > 0 && tokens <= Integer.MAX_VALUE && (!(value instanceof Number n) || n.doubleValue() == tokens)) {
        return (int) tokens;
      }
    } catch (NumberFormatException ignored) {
      // falls through to the failure below
    }
    throw new ProviderFailure("invalid_bot_settings", "");
  }

  private static String text(Object value) {
    return value == null ? "" : value.toString().strip();
  }
}
