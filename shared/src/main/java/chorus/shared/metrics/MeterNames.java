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
  /**
   * Timer: commit of a message to its dispatch to this node's sockets (once per gateway event
   * loop holding sockets of its conversation).
   */
  public static final String DELIVERY_LATENCY = "chorus.delivery.latency";
  /**
   * Timer: an AI reply's piece (a token or a few), from the AI role reading it off the model
   * provider's stream to its dispatch to this node's sockets (once per gateway event loop
   * holding sockets of its conversation): the latency Chorus adds to a streamed token. The
   * AI role's and the gateway's nodes' clocks must agree, as NTP gives.
   */
  public static final String AI_DELTA_LATENCY = "chorus.ai.delta.latency";
  /**
   * Timer, tag {@code loop} (the event loop's thread): how much later than due a timer on
   * the loop fired, every {@code metrics.eventLoopLagProbeMs}; a late one also counts the
   * periods it stood still (a 100 ms stall at 10 ms: 100, 90, ... 10), so the figures are
   * how late something due at any moment was run. What else waits on that loop waits about as long.
   */
  public static final String EVENT_LOOP_LAG = "chorus.event.loop.lag";
  /**
   * Gauge, tags {@code loop} and {@code verticle}: how many instances of a verticle run on
   * that event loop (a verticle stays on the loop it was deployed on), so a loop that lags is
   * put down to the work it carries.
   */
  public static final String EVENT_LOOP_VERTICLES = "chorus.event.loop.verticles";
  /** Counter, tag {@code role}: messages committed by this node's persistence role (rate = messages per second). */
  public static final String MESSAGES_PERSISTED = "chorus.messages.persisted";
  /** Distribution: appends committed together in one transaction (group commit under load). */
  public static final String APPEND_BATCH_SIZE = "chorus.append.batch.size";
  /** Timer: an append request, received to committed. */
  public static final String APPEND_LATENCY = "chorus.append.latency";
  /** Counter, tags {@code profile}, {@code code}: error frames sent to clients (the error rate). */
  public static final String ERROR_FRAMES = "chorus.error.frames";
  /** Counter, tag {@code profile}: text frames received from clients. */
  public static final String FRAMES_IN = "chorus.frames.in";
  /** Counter, tag {@code profile}: text frames queued to clients. */
  public static final String FRAMES_OUT = "chorus.frames.out";
  /**
   * Counter, tag {@code path} ({@code local} or {@code cross_node}): committed messages this
   * gateway received for its sockets, by whether this node or another one committed them.
   */
  public static final String DELIVERIES = "chorus.deliveries";
  /**
   * Timer, tags {@code profile}, {@code stage}: one step of a WebSocket's connect, each from
   * the end of the step before, so that a socket's stages add up to its
   * {@link #CONNECT_DURATION}. Stages: {@code upgrade} (request to handshake done and admitted
   * under the node's socket cap), {@code auth} (any wait left for the token check, which runs
   * during the upgrade), {@code context} (the conversation, membership and bot read),
   * {@code seat} (the cluster-wide per-user and per-conversation admission), {@code live}
   * (history and replay until the socket receives the live stream). A profile records the
   * stages it has; refused sockets record the stages they passed.
   */
  public static final String CONNECT_STAGE = "chorus.connect.stage";
  /** Timer, tag {@code profile}: a WebSocket's upgrade request to the socket being live. */
  public static final String CONNECT_DURATION = "chorus.connect.duration";
  /** Timer: an AI generation's start (claimed, admitted) to the provider's first token. */
  public static final String AI_FIRST_TOKEN = "chorus.ai.first.token";
  /** Timer, tag {@code outcome} ({@code stored}, {@code stopped}, {@code failed}, {@code lost}): a whole generation. */
  public static final String AI_GENERATION = "chorus.ai.generation";
  /** Gauge: AI generations running on this node. */
  public static final String AI_GENERATIONS_ACTIVE = "chorus.ai.generations.active";
  /** Gauge: AI reply jobs waiting on this node for a generation slot. */
  public static final String AI_GENERATIONS_QUEUED = "chorus.ai.generations.queued";
}
