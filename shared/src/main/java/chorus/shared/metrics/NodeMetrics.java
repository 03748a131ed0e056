package chorus.shared.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.function.Supplier;

/**
 * A node's meters: the registry every verticle of the node records into (the node launcher
 * makes one per node and hands it to each verticle it deploys), and the text the gateway
 * serves at {@code GET /metrics} (Prometheus exposition format), and which verticle runs on
 * which event loop.
 */
public record NodeMetrics(MeterRegistry registry, Supplier<String> prometheusText, LoopVerticles loops) {

  public NodeMetrics(MeterRegistry registry, Supplier<String> prometheusText) {
    this(registry, prometheusText, new LoopVerticles(registry));
  }

  /** For a verticle deployed on its own (module tests): meters are kept but nobody scrapes them. */
  public static NodeMetrics unscraped() {
    return new NodeMetrics(new SimpleMeterRegistry(), () -> "");
  }
}
