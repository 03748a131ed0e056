package chorus.ai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AiConfigTest {

  @Test
  void anEmptyConfigGetsTheDefaultsOfNodeJson() {
    assertEquals(new AiConfig("node", "local", 30_000L, 5_000L, 20, 10_000L, 5_000L), AiConfig.from(new JsonObject()));
  }

  @Test
  void valuesAreReadFromTheirSections() {
    JsonObject config = new JsonObject()
        .put("node", new JsonObject().put("id", "n7"))
        .put("ai", new JsonObject().put("provider", " Local ").put("leaseMs", 1000).put("sweepIntervalMs", 250).put("historyMessages", 5))
        .put("limits", new JsonObject().put("requestTimeoutMs", 3000))
        .put("drain", new JsonObject().put("aiGraceMs", 700));
    assertEquals(new AiConfig("n7", "local", 1000L, 250L, 5, 3000L, 700L), AiConfig.from(config));
  }

  @Test
  void leasesAreTakenInTheNameOfTheNodesRunWhenTheLauncherGaveOne() {
    JsonObject node = new JsonObject().put("id", "n7").put("instance", "n7#1a2b3c4d");
    assertEquals("n7#1a2b3c4d", AiConfig.from(new JsonObject().put("node", node)).nodeId());
  }

  @Test
  void aBlankProviderMeansTheLocalDefault() {
    assertEquals("local", AiConfig.from(new JsonObject().put("ai", new JsonObject().put("provider", ""))).provider());
  }

  @Test
  void nonPositiveDurationsAndCountsAreRefused() {
    for (String key : new String[] {"leaseMs", "sweepIntervalMs", "historyMessages"}) {
      JsonObject config = new JsonObject().put("ai", new JsonObject().put(key, 0));
      assertThrows(IllegalArgumentException.class, () -> AiConfig.from(config), key);
    }
  }

  @Test
  void anUnknownProviderFailsTheStartWithItsName() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      JsonObject config = new JsonObject().put("ai", new JsonObject().put("provider", "gpt-magic"));
      Throwable failure = assertThrows(Exception.class,
          () -> vertx.deployVerticle(new AiVerticle(), new DeploymentOptions().setConfig(config)).await(10, TimeUnit.SECONDS));
      assertTrue(failure.getMessage().contains("unknown ai.provider 'gpt-magic'"), failure.getMessage());
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void theEngineLimitsDefaultToThoseOfNodeJsonAndRefuseNonsense() {
    assertEquals(new EngineConfig(16, 64, 2, 200_000L, 0L, 0), EngineConfig.from(new JsonObject()));
    JsonObject ai = new JsonObject().put("maxConcurrentGenerations", 1).put("maxQueuedGenerations", 0).put("maxConcurrentPerUser", 0)
        .put("dailyTokenQuota", 0).put("localDeltaDelayMs", 5).put("localFailAttempts", 1);
    assertEquals(new EngineConfig(1, 0, 0, 0L, 5L, 1), EngineConfig.from(new JsonObject().put("ai", ai)));
    assertThrows(IllegalArgumentException.class,
        () -> EngineConfig.from(new JsonObject().put("ai", new JsonObject().put("maxConcurrentGenerations", 0))));
    assertThrows(IllegalArgumentException.class,
        () -> EngineConfig.from(new JsonObject().put("ai", new JsonObject().put("dailyTokenQuota", -1))));
  }
}
