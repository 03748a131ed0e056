package chorus.ai;

import chorus.shared.metrics.MeterNames;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** What the AI role records (names in {@link MeterNames}): time to first token, generation time by outcome, active and queued generations. */
final class AiMeters {
  private final MeterRegistry registry;
  private final Timer firstToken;
  private final Map<String, Timer> generationByOutcome = new ConcurrentHashMap<>();

  AiMeters(MeterRegistry registry, Supplier<Number> active, Supplier<Number> queued) {
    this.registry = registry;
    this.firstToken = Timer.builder(MeterNames.AI_FIRST_TOKEN).description("generation start to the provider's first token")
        .publishPercentileHistogram().register(registry);
    // strong references: a registry holds gauge state weakly, and these suppliers have no other owner
    Gauge.builder(MeterNames.AI_GENERATIONS_ACTIVE, active).description("AI generations running on this node")
        .strongReference(true).register(registry);
    Gauge.builder(MeterNames.AI_GENERATIONS_QUEUED, queued).description("AI reply jobs waiting here for a generation slot")
        .strongReference(true).register(registry);
  }

  void firstToken(long startedNanos, long firstTokenNanos) {
    firstToken.record(firstTokenNanos - startedNanos, TimeUnit.NANOSECONDS);
  }

  void generationEnded(long startedNanos, String outcome) {
    generationByOutcome.computeIfAbsent(outcome, o -> Timer.builder(MeterNames.AI_GENERATION)
            .description("a whole generation, by how it ended").tag("outcome", o).publishPercentileHistogram().register(registry))
        .record(System.nanoTime() - startedNanos, TimeUnit.NANOSECONDS);
  }
}
