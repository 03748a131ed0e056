package chorus.ai;

import io.vertx.core.json.JsonObject;

/**
 * The reply engine's limits, read from the {@code ai} section (defaults are those of
 * config/node.json). A per-user limit of 0 means none.
 *
 * @param maxConcurrentGenerations generations this node runs at once
 * @param maxQueuedGenerations announced jobs waiting for a slot on this node; past it, AI_BUSY
 * @param maxConcurrentPerUser generations one user may have running cluster-wide (0: no limit)
 * @param dailyTokenQuota tokens (prompt + completion) one user may use per UTC day, cluster-wide (0: no limit)
 * @param localDeltaDelayMs the local provider's pause before each delta (0: instant)
 * @param localFailAttempts the local provider fails a job's first N attempts (0: never); for trying failure handling
 */
record EngineConfig(int maxConcurrentGenerations, int maxQueuedGenerations, int maxConcurrentPerUser, long dailyTokenQuota,
    long localDeltaDelayMs, int localFailAttempts) {

  static EngineConfig from(JsonObject config) {
    JsonObject ai = config.getJsonObject("ai", new JsonObject());
    EngineConfig parsed = new EngineConfig(
        ai.getInteger("maxConcurrentGenerations", 16),
        ai.getInteger("maxQueuedGenerations", 64),
        ai.getInteger("maxConcurrentPerUser", 2),
        ai.getLong("dailyTokenQuota", 200_000L),
        ai.getLong("localDeltaDelayMs", 0L),
        ai.getInteger("localFailAttempts", 0));
    if (parsed.maxConcurrentGenerations <= 0) {
      throw new IllegalArgumentException("ai.maxConcurrentGenerations must be positive");
    }
    if (parsed.maxQueuedGenerations < 0 || parsed.maxConcurrentPerUser < 0 || parsed.dailyTokenQuota < 0
        || parsed.localDeltaDelayMs < 0 || parsed.localFailAttempts < 0) {
      throw new IllegalArgumentException("ai.maxQueuedGenerations, ai.maxConcurrentPerUser, ai.dailyTokenQuota, "
          + "ai.localDeltaDelayMs and ai.localFailAttempts must not be negative");
    }
    return parsed;
  }
}
