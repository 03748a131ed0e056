package chorus.shared.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A verticle is counted on the loop its own code runs on, for as long as it is deployed. */
class LoopVerticlesTest {
  private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final LoopVerticles loops = new LoopVerticles(registry);

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** Remembers the thread its start ran on. */
  static final class Role extends VerticleBase {
    volatile String startedOn;

    @Override
    public Future<?> start() {
      startedOn = Thread.currentThread().getName();
      return Future.succeededFuture();
    }
  }

  @Test
  void eachVerticleIsCountedOnItsOwnLoopUntilUndeployed() throws Exception {
    Role ai = new Role();
    Role gateway = new Role();
    String aiDeployment = vertx.deployVerticle(loops.counted("ai", ai)).await(10, TimeUnit.SECONDS);
    vertx.deployVerticle(loops.counted("gateway", gateway)).await(10, TimeUnit.SECONDS);

    // two deployments on a two-loop Vert.x take a loop each
    assertNotEquals(ai.startedOn, gateway.startedOn);
    assertEquals(Map.of(ai.startedOn, List.of("ai"), gateway.startedOn, List.of("gateway")), loops.byLoop());
    assertEquals(1.0, gauge(ai.startedOn, "ai"));
    assertEquals(1.0, gauge(gateway.startedOn, "gateway"));

    vertx.undeploy(aiDeployment).await(10, TimeUnit.SECONDS);
    assertEquals(0.0, gauge(ai.startedOn, "ai"));
    assertEquals(Map.of(gateway.startedOn, List.of("gateway")), loops.byLoop());
  }

  @Test
  void aVerticleThatFailsToStartIsNotCounted() {
    VerticleBase failing = new VerticleBase() {
      @Override
      public Future<?> start() {
        return Future.failedFuture("no key");
      }
    };
    VerticleBase throwing = new VerticleBase() {
      @Override
      public Future<?> start() {
        throw new IllegalStateException("no key either");
      }
    };
    for (VerticleBase verticle : new VerticleBase[] {failing, throwing}) {
      Future<String> deployed = vertx.deployVerticle(loops.counted("gateway", verticle));
      try {
        deployed.await(10, TimeUnit.SECONDS);
      } catch (Exception expected) {
        // the deployment fails, as it should
      }
      assertTrue(deployed.failed());
      assertEquals(Map.of(), loops.byLoop());
    }
  }

  private double gauge(String loop, String verticle) {
    return registry.get(MeterNames.EVENT_LOOP_VERTICLES).tags("loop", loop, "verticle", verticle).gauge().value();
  }
}
