package chorus.shared.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Which verticle runs on which of a node's event loops ({@link MeterNames#EVENT_LOOP_VERTICLES}).
 * Vert.x gives each deployment the next loop in turn and keeps it there, so which role shares a
 * loop with which depends on the order and number of deployments; the lag meter names loops by
 * thread, and this says what each thread carries.
 */
public final class LoopVerticles {
  private final MeterRegistry registry;
  private final Map<List<String>, AtomicInteger> instances = new ConcurrentHashMap<>();

  public LoopVerticles(MeterRegistry registry) {
    this.registry = registry;
  }

  /** {@code verticle}, counted under {@code name} on the loop it is deployed on for as long as it stays deployed. */
  public Deployable counted(String name, Deployable verticle) {
    return new Deployable() {
      private AtomicInteger count;

      @Override
      public Future<?> deploy(Context context) throws Exception {
        // Vert.x deploys on the verticle's own context: this thread is its loop
        count = instances(Thread.currentThread().getName(), name);
        count.incrementAndGet();
        Future<?> started;
        try {
          started = verticle.deploy(context);
        } catch (Exception | Error e) {
          count.decrementAndGet(); // a start that throws fails the deployment as a failed future does
          throw e;
        }
        return started.onFailure(e -> count.decrementAndGet());
      }

      @Override
      public Future<?> undeploy(Context context) throws Exception {
        Future<?> stopped;
        try {
          stopped = verticle.undeploy(context);
        } catch (Exception | Error e) {
          count.decrementAndGet(); // undeployed all the same
          throw e;
        }
        return stopped.onComplete(ar -> count.decrementAndGet());
      }
    };
  }

  private AtomicInteger instances(String loop, String verticle) {
    return instances.computeIfAbsent(List.of(loop, verticle), key -> {
      AtomicInteger count = new AtomicInteger();
      Gauge.builder(MeterNames.EVENT_LOOP_VERTICLES, count, AtomicInteger::get)
          .description("instances of a verticle running on this event loop")
          .tags("loop", loop, "verticle", verticle).register(registry);
      return count;
    });
  }

  /** Loop to the verticles it runs now, in name order: {@code {vert.x-eventloop-thread-0=[ai, gateway-server]}}. */
  public Map<String, List<String>> byLoop() {
    Map<String, List<String>> loops = new TreeMap<>();
    instances.forEach((key, count) -> {
      for (int i = 0; i < count.get(); i++) {
        loops.computeIfAbsent(key.get(0), loop -> new ArrayList<>()).add(key.get(1));
      }
    });
    loops.values().forEach(Collections::sort);
    return loops;
  }
}
