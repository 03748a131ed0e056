package chorus.node;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.Map;

/**
 * The node's configuration: config/node.json (through Vert.x config), with every value
 * overridable by an environment variable named {@code CHORUS_<SECTION>_<KEY>} in upper
 * snake case: {@code http.port} -> {@code CHORUS_HTTP_PORT}, {@code pg.poolSize} ->
 * {@code CHORUS_PG_POOL_SIZE}. A value keeps the type of the file's value.
 */
public final class NodeConfig {
  private NodeConfig() {}

  public static final String DEFAULT_PATH = "config/node.json";

  /** {@code drain.timeoutMs}: the hard cap on a whole drain (default 30 s). */
  public static long drainTimeoutMs(JsonObject config) {
    long timeoutMs = config.getJsonObject("drain", new JsonObject()).getLong("timeoutMs", 30_000L);
    if (timeoutMs <= 0) {
      throw new IllegalArgumentException("drain.timeoutMs must be positive, got " + timeoutMs);
    }
    return timeoutMs;
  }

  /** {@code metrics.vertxEventBus}: Vert.x's own per-message event-bus meters (default off). */
  public static boolean vertxEventBusMeters(JsonObject config) {
    return config.getJsonObject("metrics", new JsonObject()).getBoolean("vertxEventBus", false);
  }

  /** {@code metrics.eventLoopLagProbeMs}: how often each event loop's lag is sampled (default 10 ms; 0 turns the probe off). */
  public static long eventLoopLagProbeMs(JsonObject config) {
    long periodMs = config.getJsonObject("metrics", new JsonObject()).getLong("eventLoopLagProbeMs", 10L);
    if (periodMs < 0) {
      throw new IllegalArgumentException("metrics.eventLoopLagProbeMs must be 0 (off) or positive, got " + periodMs);
    }
    return periodMs;
  }

  public static Future<JsonObject> load(Vertx vertx, String path) {
    ConfigRetrieverOptions options = new ConfigRetrieverOptions()
        .setIncludeDefaultStores(false)
        .setScanPeriod(0)
        .addStore(new ConfigStoreOptions().setType("file").setFormat("json").setConfig(new JsonObject().put("path", path)))
        .addStore(new ConfigStoreOptions().setType("env"));
    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    return retriever.getConfig()
        .map(merged -> withEnvironment(fileKeysOnly(merged, path), merged))
        .eventually(retriever::close);
  }

  /** The env store puts every variable at the top level; keep the file's sections only. */
  private static JsonObject fileKeysOnly(JsonObject merged, String path) {
    JsonObject file = new JsonObject();
    merged.forEach(entry -> {
      if (entry.getValue() instanceof JsonObject section) {
        file.put(entry.getKey(), section.copy());
      }
    });
    if (file.isEmpty()) {
      throw new IllegalStateException("no configuration sections found in " + path);
    }
    return file;
  }

  /** Applies CHORUS_* overrides from {@code environment} to every leaf of {@code config}. */
  public static JsonObject withEnvironment(JsonObject config, Map<String, ?> environment) {
    return withEnvironment(config, new JsonObject(Map.copyOf(environment)));
  }

  static JsonObject withEnvironment(JsonObject config, JsonObject environment) {
    for (String section : config.fieldNames()) {
      if (!(config.getValue(section) instanceof JsonObject values)) {
        continue;
      }
      for (String key : values.fieldNames().toArray(String[]::new)) {
        Object raw = environment.getValue(envName(section, key));
        if (raw != null) {
          values.put(key, convert(section + "." + key, values.getValue(key), String.valueOf(raw)));
        }
      }
    }
    return config;
  }

  public static String envName(String section, String key) {
    return "CHORUS_" + snake(section) + "_" + snake(key);
  }

  private static String snake(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
  }

  private static Object convert(String name, Object current, String value) {
    try {
      if (current instanceof Integer) {
        return Integer.parseInt(value.trim());
      }
      if (current instanceof Long) {
        return Long.parseLong(value.trim());
      }
      if (current instanceof Boolean) {
        return Boolean.parseBoolean(value.trim());
      }
      // limits.messagesPerSecond, ai.temperature: left a String, the role reading it failed to start
      if (current instanceof Double || current instanceof Float) {
        return Double.parseDouble(value.trim());
      }
      return value;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("configuration " + name + " must be a number, got '" + value + "'");
    }
  }
}
