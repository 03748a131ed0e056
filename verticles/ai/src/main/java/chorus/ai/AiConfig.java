package chorus.ai;

import io.vertx.core.json.JsonObject;
import java.util.Locale;

/**
 * What the AI role reads from the node config: {@code node.instance} (or {@code node.id}), the
 * {@code ai} section, and the event-bus request timeout from {@code limits}. Defaults are those
 * of config/node.json.
 *
 * @param nodeId the owner named on the leases this node takes: its run ({@code node.instance},
 *     made by the launcher at every start), so a process restarted under the same node id is
 *     never taken for the one that held a lease before it; {@code node.id} when there is none
 *
 * @param provider the reply provider's name; blank means the development default, {@code local}
 * @param leaseMs how long a claimed job is ours before another node may take it over
 * @param sweepIntervalMs how often due jobs are swept, and how old a pending job must be to count as due
 * @param historyMessages how many messages, up to and including the user's, a provider is given
 * @param drainGraceMs when the node drains, how long its generations under way may take to finish
 *     before they are stopped and their jobs released ({@code drain.aiGraceMs})
 */
record AiConfig(String nodeId, String provider, long leaseMs, long sweepIntervalMs, int historyMessages, long requestTimeoutMs,
    long drainGraceMs) {
  static final String DEFAULT_PROVIDER = "local";

  private static String ownerName(JsonObject node) {
    String instance = node.getString("instance", "");
    if (!instance.isBlank()) {
      return instance;
    }
    return node.getString("id", "").isBlank() ? "node" : node.getString("id");
  }

  static AiConfig from(JsonObject config) {
    JsonObject node = config.getJsonObject("node", new JsonObject());
    JsonObject ai = config.getJsonObject("ai", new JsonObject());
    JsonObject limits = config.getJsonObject("limits", new JsonObject());
    String provider = ai.getString("provider", "").strip().toLowerCase(Locale.ROOT);
    AiConfig parsed = new AiConfig(
        ownerName(node),
        provider.isEmpty() ? DEFAULT_PROVIDER : provider,
        ai.getLong("leaseMs", 30_000L),
        ai.getLong("sweepIntervalMs", 5_000L),
        ai.getInteger("historyMessages", 20),
        limits.getLong("requestTimeoutMs", 10_000L),
        config.getJsonObject("drain", new JsonObject()).getLong("aiGraceMs", 5_000L));
    if (parsed.leaseMs <= 0 || parsed.sweepIntervalMs <= 0 || parsed.historyMessages <= 0 || parsed.requestTimeoutMs <= 0) {
      throw new IllegalArgumentException(
          "ai.leaseMs, ai.sweepIntervalMs, ai.historyMessages and limits.requestTimeoutMs must be positive");
    }
    if (parsed.drainGraceMs < 0) {
      throw new IllegalArgumentException("drain.aiGraceMs must not be negative");
    }
    return parsed;
  }
}
