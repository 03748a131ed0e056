package chorus.ai;

import io.vertx.core.json.JsonObject;

/** The ai section of the node config (defaults as in config/node.json). */
record AiConfig(String nodeId, String provider, long leaseMs, long sweepIntervalMs, int historyMessages, long requestTimeoutMs) {

  static AiConfig from(JsonObject config) {
    JsonObject ai = config.getJsonObject("ai", new JsonObject());
    JsonObject limits = config.getJsonObject("limits", new JsonObject());
    AiConfig parsed = new AiConfig(
        config.getJsonObject("node", new JsonObject()).getString("id", "node"),
        ai.getString("provider", "local"),
        ai.getLong("leaseMs", 30_000L),
        ai.getLong("sweepIntervalMs", 5_000L),
        ai.getInteger("historyMessages", 20),
        limits.getLong("requestTimeoutMs", 10_000L));
    if (parsed.leaseMs <= 0 || parsed.sweepIntervalMs <= 0 || parsed.historyMessages <= 0) {
      throw new IllegalArgumentException("ai.leaseMs, ai.sweepIntervalMs and ai.historyMessages must be positive");
    }
    return parsed;
  }
}
