package chorus.gateway;

import chorus.shared.bus.MessageAppended;
import chorus.shared.bus.ReplyDelta;
import chorus.shared.domain.StoredMessage;
import chorus.shared.metrics.MeterNames;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the gateway records (names in {@link MeterNames}): sockets open and how long they
 * lived per profile, frames in and out per profile, a message's commit-to-dispatch and an AI
 * reply piece's read-to-dispatch latency, deliveries by whether they crossed nodes, and error
 * frames by profile and code. Safe from any event loop.
 */
public final class GatewayMeters {
  private final MeterRegistry registry;
  private final Timer deliveryLatency;
  private final Timer deltaLatency;
  private final Map<String, AtomicInteger> openByProfile = new ConcurrentHashMap<>();
  private final Map<String, Timer> durationByProfile = new ConcurrentHashMap<>();
  private final Map<String, Counter> errorsByProfileAndCode = new ConcurrentHashMap<>();
  private final Map<String, Timer> connectStages = new ConcurrentHashMap<>();
  private final Map<String, Timer> connectDurations = new ConcurrentHashMap<>();
  private final String nodeId;
  private final Counter localDeliveries;
  private final Counter crossNodeDeliveries;

  /** @param nodeId this node's id: a message committed under another id crossed nodes to get here */
  public GatewayMeters(MeterRegistry registry, String nodeId) {
    this.registry = registry;
    this.nodeId = nodeId;
    this.localDeliveries = deliveries("local");
    this.crossNodeDeliveries = deliveries("cross_node");
    this.deliveryLatency = Timer.builder(MeterNames.DELIVERY_LATENCY)
        .description("commit of a message to its dispatch to this node's sockets")
        .publishPercentileHistogram()
        .register(registry);
    this.deltaLatency = Timer.builder(MeterNames.AI_DELTA_LATENCY)
        .description("an AI reply's piece read off the provider's stream to its dispatch to this node's sockets")
        .publishPercentileHistogram()
        .register(registry);
  }

  public void socketOpened(String profile) {
    openByProfile.computeIfAbsent(profile, p -> registry.gauge(MeterNames.SOCKETS_OPEN,
        io.micrometer.core.instrument.Tags.of("profile", p), new AtomicInteger())).incrementAndGet();
  }

  public void socketClosed(String profile, long openedAtNanos) {
    AtomicInteger open = openByProfile.get(profile);
    if (open != null) {
      open.decrementAndGet();
    }
    durationByProfile.computeIfAbsent(profile, p -> Timer.builder(MeterNames.SOCKET_DURATION)
            .description("how long WebSockets stayed open").tag("profile", p).register(registry))
        .record(System.nanoTime() - openedAtNanos, TimeUnit.NANOSECONDS);
  }

  /** A message about to be written to this node's sockets; its created_at is its commit time. */
  public void dispatched(StoredMessage message) {
    if (message.createdAt() != null) {
      Duration sinceCommit = Duration.between(message.createdAt(), Instant.now());
      deliveryLatency.record(sinceCommit.isNegative() ? Duration.ZERO : sinceCommit);
    }
  }

  /** A reply's piece about to be written to this node's sockets, read off the provider at {@code readAtMicros} (0: not stamped). */
  public void deltaDispatched(long readAtMicros) {
    if (readAtMicros > 0) {
      deltaLatency.record(Math.max(0, ReplyDelta.nowMicros() - readAtMicros), TimeUnit.MICROSECONDS);
    }
  }

  private Counter deliveries(String path) {
    return Counter.builder(MeterNames.DELIVERIES).description("committed messages received for this node's sockets")
        .tag("path", path).register(registry);
  }

  /** A committed message arrived on a conversation topic this node follows. */
  public void received(MessageAppended appended) {
    (nodeId.equals(appended.committedBy()) ? localDeliveries : crossNodeDeliveries).increment();
  }

  /** The counter of text frames received on {@code profile}'s sockets (look it up once per socket). */
  public Counter framesIn(String profile) {
    return Counter.builder(MeterNames.FRAMES_IN).description("text frames received from clients").tag("profile", profile).register(registry);
  }

  /** The counter of text frames queued to {@code profile}'s sockets (look it up once per socket). */
  public Counter framesOut(String profile) {
    return Counter.builder(MeterNames.FRAMES_OUT).description("text frames queued to clients").tag("profile", profile).register(registry);
  }

  /** One step of a socket's connect took {@code nanos} (see {@link MeterNames#CONNECT_STAGE}). */
  public void connectStage(String profile, String stage, long nanos) {
    connectStages.computeIfAbsent(profile + '\u0000' + stage, key -> Timer.builder(MeterNames.CONNECT_STAGE)
            .description("one step of a WebSocket's connect").tag("profile", profile).tag("stage", stage)
            .publishPercentileHistogram().register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** A socket went live {@code nanos} after its upgrade request arrived. */
  public void connected(String profile, long nanos) {
    connectDurations.computeIfAbsent(profile, p -> Timer.builder(MeterNames.CONNECT_DURATION)
            .description("a WebSocket's upgrade request to the socket receiving the live stream").tag("profile", p)
            .publishPercentileHistogram().register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  public void errorFrame(String profile, String code) {
    errorsByProfileAndCode.computeIfAbsent(profile + '\u0000' + code, key -> Counter.builder(MeterNames.ERROR_FRAMES)
        .description("error frames sent to clients").tag("profile", profile).tag("code", code).register(registry)).increment();
  }
}
