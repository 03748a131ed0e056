package chorus.gateway;

import chorus.gateway.socket.SocketLimits;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/** What the gateway reads from the node config (see config/node.json and README.md). */
public record GatewayConfig(
    String nodeId,
    String nodeInstance,
    String host,
    int port,
    int instances,
    JsonObject jwt,
    String cookieName,
    Set<String> allowedOrigins,
    int maxFrameBytes,
    int maxContentChars,
    int maxHttpBodyBytes,
    int maxPendingFrames,
    int historyPageSize,
    long requestTimeoutMs,
    long gapFillDelayMs,
    long subscriptionSettleMs,
    long tailCheckMs,
    SocketLimits socketLimits,
    int maxConversationsPerSocket,
    long typingTimeoutMs,
    int maxSocketsPerUser,
    int maxSocketsPerConversation,
    double messagesPerSecond,
    int messageBurst,
    int rateLimitLease,
    int rateLimitStrikes,
    int conversationPageSize,
    int conversationPageMax,
    int maxSdpBytes,
    int maxIceCandidateBytes,
    int surveyMaxQuestions,
    int surveyMaxOptions,
    ContentConfig content,
    int connectHistoryMax,
    long drainSpreadMs,
    long requestAttemptMs) {

  public GatewayConfig {
    if (instances < 1) {
      throw new IllegalArgumentException("http.instances must be at least 1 (or 0 in the config: one per CPU core), got " + instances);
    }
    content.checkFits(maxFrameBytes);
    if (drainSpreadMs < 0) {
      throw new IllegalArgumentException("drain.spreadMs must not be negative");
    }
    if (rateLimitLease < 1) {
      throw new IllegalArgumentException("limits.rateLimitLease must be at least 1, got " + rateLimitLease);
    }
    if (requestAttemptMs < 1) {
      throw new IllegalArgumentException("limits.requestAttemptMs must be positive");
    }
  }


  public static GatewayConfig from(JsonObject config) {
    JsonObject node = config.getJsonObject("node", new JsonObject());
    JsonObject http = config.getJsonObject("http", new JsonObject());
    JsonObject auth = config.getJsonObject("auth", new JsonObject());
    JsonObject limits = config.getJsonObject("limits", new JsonObject());
    JsonObject delivery = config.getJsonObject("delivery", new JsonObject());
    return new GatewayConfig(
        node.getString("id", "node"),
        node.getString("instance", node.getString("id", "node")),
        http.getString("host", "0.0.0.0"),
        http.getInteger("port", 8080),
        instances(http.getInteger("instances", 0)),
        config.getJsonObject("jwt", new JsonObject()),
        auth.getString("cookieName", "lykke_auth"),
        commaSeparated(auth.getString("allowedOrigins", "")),
        limits.getInteger("maxFrameBytes", 65536),
        limits.getInteger("maxContentChars", 5000),
        limits.getInteger("maxHttpBodyBytes", 262144),
        limits.getInteger("maxPendingFrames", 32),
        limits.getInteger("historyPageSize", 100),
        limits.getLong("requestTimeoutMs", 10_000L),
        delivery.getLong("gapFillDelayMs", 50L),
        delivery.getLong("subscriptionSettleMs", 1000L),
        delivery.getLong("tailCheckMs", 5000L),
        SocketLimits.from(config),
        limits.getInteger("maxConversationsPerSocket", 100),
        config.getJsonObject("typing", new JsonObject()).getLong("timeoutMs", 5000L),
        limits.getInteger("maxSocketsPerUser", 5),
        limits.getInteger("maxSocketsPerConversation", 50),
        limits.getDouble("messagesPerSecond", 10.0),
        limits.getInteger("messageBurst", 20),
        limits.getInteger("rateLimitLease", 8),
        limits.getInteger("rateLimitStrikes", 20),
        limits.getInteger("conversationPageSize", 50),
        limits.getInteger("conversationPageMax", 200),
        config.getJsonObject("calls", new JsonObject()).getInteger("maxSdpBytes", 16384),
        config.getJsonObject("calls", new JsonObject()).getInteger("maxCandidateBytes", 2048),
        config.getJsonObject("survey", new JsonObject()).getInteger("maxQuestions", 100),
        config.getJsonObject("survey", new JsonObject()).getInteger("maxOptions", 20),
        ContentConfig.from(config),
        limits.getInteger("connectHistoryMax", 50),
        config.getJsonObject("drain", new JsonObject()).getLong("spreadMs", 5000L),
        limits.getLong("requestAttemptMs", 5000L));
  }

  /** {@code http.instances}: gateway event loops; 0 means one per CPU core. */
  private static int instances(int configured) {
    return configured == 0 ? Runtime.getRuntime().availableProcessors() : configured;
  }

  private static Set<String> commaSeparated(String value) {
    return Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toUnmodifiableSet());
  }
}
