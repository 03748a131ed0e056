package chorus.shared.metrics;

/**
 * Every meter Chorus records, in one place (Prometheus names: dots become underscores, and
 * timers get {@code _seconds}, counters {@code _total}). Vert.x's own meters (event bus,
 * HTTP server, pools) and the JVM's come from vertx-micrometer-metrics and are not listed.
 */
public final class MeterNames {
  private MeterNames() {}

  /** Gauge, tag {@code profile}: WebSockets open on this node. */
  public static final String SOCKETS_OPEN = "chorus.sockets.open";
  /** Timer, tag {@code profile}: how long WebSockets stayed open, recorded at close. */
  public static final String SOCKET_DURATION = "chorus.socket.duration";
  /** Timer: commit of a message to its dispatch to this node's sockets (one per node and message). */
  public static final String DELIVERY_LATENCY = "chorus.delivery.latency";
  /** Counter, tag {@code role}: messages committed by this node's persistence role (rate = messages per second). */
  public static final String MESSAGES_PERSISTED = "chorus.messages.persisted";
  /** Timer: an append request, received to committed. */
  public static final String APPEND_LATENCY = "chorus.append.latency";
  /** Counter, tags {@code profile}, {@code code}: error frames sent to clients (the error rate). */
  public static final String ERROR_FRAMES = "chorus.error.frames";
}
