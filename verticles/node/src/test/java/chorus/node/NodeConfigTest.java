package chorus.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import chorus.gateway.LogRedaction;
import chorus.node.support.Await;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Configuration from config/node.json with CHORUS_* environment overrides, and small launcher rules. */
class NodeConfigTest {

  @Test
  void theShippedFileLoadsThroughVertxConfig() {
    Vertx vertx = Vertx.vertx();
    try {
      JsonObject config = Await.result(NodeConfig.load(vertx, NodeConfig.DEFAULT_PATH));
      assertEquals(8080, config.getJsonObject("http").getInteger("port"));
      assertEquals("gateway,persistence,ai,presence", config.getJsonObject("node").getString("roles"));
      assertEquals(5000, config.getJsonObject("limits").getInteger("maxContentChars"));
    } finally {
      vertx.close();
    }
  }

  @Test
  void environmentOverridesEveryKeyWithItsType() {
    JsonObject file = new JsonObject()
        .put("http", new JsonObject().put("port", 8080))
        .put("pg", new JsonObject().put("poolSize", 8).put("url", "").put("migrate", true))
        .put("auth", new JsonObject().put("allowedOrigins", "a"));
    JsonObject config = NodeConfig.withEnvironment(file, Map.of(
        "CHORUS_HTTP_PORT", "9090",
        "CHORUS_PG_POOL_SIZE", "3",
        "CHORUS_PG_URL", "postgresql://u:p@db:5432/x",
        "CHORUS_PG_MIGRATE", "false",
        "CHORUS_AUTH_ALLOWED_ORIGINS", "https://a,https://b",
        "UNRELATED", "x"));
    assertEquals(9090, config.getJsonObject("http").getInteger("port"));
    assertEquals(3, config.getJsonObject("pg").getInteger("poolSize"));
    assertEquals("postgresql://u:p@db:5432/x", config.getJsonObject("pg").getString("url"));
    assertEquals(false, config.getJsonObject("pg").getBoolean("migrate"));
    assertEquals("https://a,https://b", config.getJsonObject("auth").getString("allowedOrigins"));
  }

  @Test
  void aDecimalKeyTakesAnIntegerOrDecimalOverride() {
    JsonObject file = new JsonObject().put("limits", new JsonObject().put("messagesPerSecond", 10.0))
        .put("ai", new JsonObject().put("temperature", 0.7));
    JsonObject config = NodeConfig.withEnvironment(file, Map.of(
        "CHORUS_LIMITS_MESSAGES_PER_SECOND", "100000",
        "CHORUS_AI_TEMPERATURE", "0.2"));
    assertEquals(100000.0, config.getJsonObject("limits").getDouble("messagesPerSecond"));
    assertEquals(0.2, config.getJsonObject("ai").getDouble("temperature"));
    assertThrows(IllegalArgumentException.class,
        () -> NodeConfig.withEnvironment(file, Map.of("CHORUS_AI_TEMPERATURE", "warm")));
  }

  @Test
  void aNonNumberForANumberIsAClearError() {
    JsonObject file = new JsonObject().put("http", new JsonObject().put("port", 8080));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NodeConfig.withEnvironment(file, Map.of("CHORUS_HTTP_PORT", "eighty")));
    assertEquals("configuration http.port must be a number, got 'eighty'", e.getMessage());
  }

  @Test
  void theEventLoopLagProbeIsOnByDefaultAndCanBeTurnedOff() {
    assertEquals(10L, NodeConfig.eventLoopLagProbeMs(new JsonObject()));
    assertEquals(0L, NodeConfig.eventLoopLagProbeMs(new JsonObject().put("metrics", new JsonObject().put("eventLoopLagProbeMs", 0))));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NodeConfig.eventLoopLagProbeMs(new JsonObject().put("metrics", new JsonObject().put("eventLoopLagProbeMs", -5))));
    assertEquals("metrics.eventLoopLagProbeMs must be 0 (off) or positive, got -5", e.getMessage());
  }

  @Test
  void envNamesAreUpperSnakeCase() {
    assertEquals("CHORUS_PG_POOL_SIZE", NodeConfig.envName("pg", "poolSize"));
    assertEquals("CHORUS_LIMITS_MAX_FRAME_BYTES", NodeConfig.envName("limits", "maxFrameBytes"));
  }

  @Test
  void memberRangesExpand() {
    assertEquals(List.of("127.0.0.1:5701", "127.0.0.1:5702", "127.0.0.1:5703", "10.0.0.5", "h:9"),
        HazelcastSetup.expandMembers("127.0.0.1:5701-5703, 10.0.0.5,h:9"));
  }

  @Test
  void theClusterSectionTunesHazelcast() {
    io.vertx.core.json.JsonObject cluster = new io.vertx.core.json.JsonObject()
        .put("configFile", "config/cluster.xml").put("name", "tuned").put("port", 5999).put("maxNoHeartbeatSeconds", 7);
    com.hazelcast.config.Config hazelcast = HazelcastSetup.build(cluster, "n1#abc");
    assertEquals("7", hazelcast.getProperty("hazelcast.max.no.heartbeat.seconds"));
    assertEquals("1", hazelcast.getProperty("hazelcast.heartbeat.interval.seconds"), "from config/cluster.xml");
    assertEquals("100", hazelcast.getProperty("hazelcast.invocation.retry.pause.millis"), "from config/cluster.xml");
    assertEquals("tuned", hazelcast.getClusterName());
    assertEquals(5999, hazelcast.getNetworkConfig().getPort());
    assertEquals("n1#abc", hazelcast.getMemberAttributeConfig().getAttribute(HazelcastSetup.NODE_ATTRIBUTE));
  }

  @Test
  void rolesParseAndUnknownRolesAreRefused() {
    assertEquals(java.util.EnumSet.of(NodeRole.GATEWAY, NodeRole.AI), NodeRole.parse("gateway, ai"));
    assertThrows(IllegalArgumentException.class, () -> NodeRole.parse("gateway,oracle"));
  }

  @Test
  void tokensAreRedactedFromUris() {
    assertEquals("/api/v1/conversations/x/ws?token=[redacted]",
        LogRedaction.uri("/api/v1/conversations/x/ws?token=eyJhbGciOi.abc.def"));
    assertEquals("/ws/site/dialogs/1?a=1&site_token=[redacted]&b=2", LogRedaction.uri("/ws/site/dialogs/1?a=1&site_token=s3cr3t&b=2"));
    assertEquals("/health/ready", LogRedaction.uri("/health/ready"));
  }
}
