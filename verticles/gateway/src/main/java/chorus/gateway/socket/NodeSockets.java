package chorus.gateway.socket;

import chorus.gateway.GatewayMeters;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open WebSockets of this node, counted in one place for every profile, and the cap
 * {@code limits.maxSocketsPerNode}. The gateway verticle owns one.
 *
 * <p>A profile {@link #admit admits} each socket right after the upgrade (before it
 * authenticates, so a flood of unauthenticated sockets is capped too) and {@link #release
 * releases} it from its close handler. Until the profile sets its own close handler, the one
 * set here releases the socket, so a socket refused or dropped during authentication is
 * released as well. Release is idempotent (a socket is counted while it is in the set), so
 * every admitted socket is counted down exactly once; a periodic sweep of closed sockets
 * catches a profile that forgot to release.
 *
 * <p>One per node, shared by every gateway event loop: each socket remembers the context it
 * was admitted on (its own), and is sent away on that context when the node drains.
 */
public final class NodeSockets {
  private static final Logger log = LoggerFactory.getLogger(NodeSockets.class);

  /** 1013 "try again later": this node is full now; another node, or this one later, will take the client. */
  public static final short CLOSE_CODE = 1013;
  public static final String CLOSE_REASON = "node full";
  public static final String ERROR_CODE = "NODE_FULL";
  public static final String ERROR_MESSAGE = "this node has no room for another connection; retry shortly";
  private static final long SWEEP_INTERVAL_MS = 10_000;
  /** 1012 "service restart": this node is going away; reconnect (a load balancer sends the client to another node). */
  public static final short DRAIN_CLOSE_CODE = 1012;
  public static final String DRAIN_CLOSE_REASON = "service restart";

  private final Vertx vertx;
  private final int max;
  private final long closeGraceMs;
  /** Each open socket with its profile and when it was admitted. */
  private final Map<ServerWebSocket, Admitted> open = new IdentityHashMap<>();
  private final GatewayMeters meters;
  private final long sweepIntervalMs;
  private long sweepTimer = -1;

  private boolean draining;

  /** An open socket: its profile, its event loop, when it was admitted, how its profile tells it to go elsewhere, and its close. */
  private static final class Admitted {
    final String profile;
    /** The socket's context (null when admitted off a Vert.x thread, as a test may) and its event loop's name. */
    final Context context;
    final String eventLoop;
    final long atNanos;
    final Promise<Void> released = Promise.promise();
    Runnable goAway;
    /** When a sweep first saw it closing (0: not yet): a close handshake is not a missed release. */
    long closingSeenNanos;

    Admitted(String profile, long atNanos) {
      this.profile = profile;
      this.context = Vertx.currentContext();
      this.eventLoop = Thread.currentThread().getName();
      this.atNanos = atNanos;
    }
  }

  public NodeSockets(Vertx vertx, SocketLimits limits, GatewayMeters meters) {
    this(vertx, limits, meters, SWEEP_INTERVAL_MS);
  }

  /** With the safety sweep every {@code sweepIntervalMs} (tests make it short). */
  public NodeSockets(Vertx vertx, SocketLimits limits, GatewayMeters meters, long sweepIntervalMs) {
    this.vertx = vertx;
    this.meters = meters;
    this.max = limits.maxSocketsPerNode();
    this.closeGraceMs = limits.closeGraceMs();
    this.sweepIntervalMs = sweepIntervalMs;
  }

  /**
   * Counts {@code ws} (a socket of {@code profile}, for the meters) when there is room and returns it. When the node is full, sends the
   * profile's {@code refusal} (its error frame with code {@link #ERROR_CODE}), closes with
   * {@link #CLOSE_CODE} and fails with {@link NodeFull}.
   */
  public Future<ServerWebSocket> admit(ServerWebSocket ws, String profile, String refusal) {
    synchronized (this) {
      if (draining && !ws.isClosed()) {
        // upgraded just before the drain began: it would be closed in a moment anyway
        SocketClose.close(vertx, ws, DRAIN_CLOSE_CODE, DRAIN_CLOSE_REASON, closeGraceMs);
        return Future.failedFuture(new NodeFull("the node is draining"));
      }
      if (open.size() < max && !ws.isClosed()) {
        open.put(ws, new Admitted(profile, System.nanoTime()));
        meters.socketOpened(profile);
        startSweeping();
        ws.closeHandler(v -> release(ws));
        return Future.succeededFuture(ws);
      }
    }
    if (ws.isClosed()) {
      return Future.failedFuture(new NodeFull("closed before it was admitted"));
    }
    log.info("ws refused: node full ({} open, limit {}) remote={} code={}", open(), max, ws.remoteAddress(), CLOSE_CODE);
    ws.writeTextMessage(refusal);
    SocketClose.close(vertx, ws, CLOSE_CODE, CLOSE_REASON, closeGraceMs);
    return Future.failedFuture(new NodeFull(ERROR_MESSAGE));
  }

  /** Counts {@code ws} down if it was counted; any number of calls count it down once. */
  public synchronized void release(ServerWebSocket ws) {
    Admitted admitted = open.remove(ws);
    if (admitted != null) {
      meters.socketClosed(admitted.profile, admitted.atNanos);
      admitted.released.tryComplete();
    }
  }

  /**
   * How {@code ws}'s profile sends it away when the node drains (its notice frame, then a
   * close with {@link #DRAIN_CLOSE_CODE}); a socket without one is just closed with that code.
   */
  public synchronized void onDrain(ServerWebSocket ws, Runnable goAway) {
    Admitted admitted = open.get(ws);
    if (admitted != null) {
      admitted.goAway = goAway;
    }
  }

  /**
   * Drains the node's sockets: no socket is admitted from now on, and each open one is sent
   * away, spread evenly over {@code spreadMs} (the first at once, the last at the end of the
   * window) so that the rest of the cluster takes the reconnections as a trickle, not a storm.
   * Completes when every socket is closed (a close handshake is bounded by limits.closeGraceMs).
   * Call on the gateway's context.
   */
  public Future<Void> drain(long spreadMs) {
    List<Map.Entry<ServerWebSocket, Admitted>> sockets = new java.util.ArrayList<>();
    synchronized (this) {
      draining = true;
      // a copy of each pair: the map changes as sockets close
      open.forEach((ws, admitted) -> sockets.add(Map.entry(ws, admitted)));
    }
    int count = sockets.size();
    log.info("draining {} sockets over {} ms", count, spreadMs);
    List<Future<Void>> closed = new java.util.ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      ServerWebSocket ws = sockets.get(i).getKey();
      Admitted admitted = sockets.get(i).getValue();
      closed.add(admitted.released.future());
      long delay = count > 1 ? spreadMs * i / (count - 1) : 0;
      if (delay == 0) {
        goAway(ws, admitted);
      } else {
        vertx.setTimer(delay, t -> goAway(ws, admitted));
      }
    }
    return Future.join(closed).mapEmpty();
  }

  private void goAway(ServerWebSocket ws, Admitted admitted) {
    if (admitted.context != null && Vertx.currentContext() != admitted.context) {
      // the profile's state belongs to the socket's event loop
      admitted.context.runOnContext(v -> goAway(ws, admitted));
    } else if (ws.isClosed()) {
      release(ws);
    } else if (admitted.goAway != null) {
      admitted.goAway.run();
    } else {
      SocketClose.close(vertx, ws, DRAIN_CLOSE_CODE, DRAIN_CLOSE_REASON, closeGraceMs);
    }
  }

  /** Open sockets per profile (every profile that has one). */
  public synchronized Map<String, Integer> openByProfile() {
    Map<String, Integer> counts = new java.util.TreeMap<>();
    open.values().forEach(admitted -> counts.merge(admitted.profile, 1, Integer::sum));
    return counts;
  }

  /** Open sockets per gateway event loop (thread name): how evenly the node spreads them over its cores. */
  public synchronized Map<String, Integer> openByEventLoop() {
    Map<String, Integer> counts = new java.util.TreeMap<>();
    open.values().forEach(admitted -> counts.merge(admitted.eventLoop, 1, Integer::sum));
    return counts;
  }

  /** Sockets open (admitted and not yet released) on this node. */
  public synchronized int open() {
    return open.size();
  }

  public int max() {
    return max;
  }

  private void startSweeping() {
    if (sweepTimer == -1) {
      sweepTimer = vertx.setPeriodic(sweepIntervalMs, id -> sweep());
    }
  }

  /**
   * Counts down sockets closed without their close handler having run. {@code isClosed()} is
   * true from the first close frame, while the close handshake still runs (bounded by
   * limits.closeGraceMs, after which the connection is cut and the handler runs); so a socket
   * is released here only once it has been closing for longer than that.
   */
  private synchronized void sweep() {
    long now = System.nanoTime();
    List<ServerWebSocket> missed = new java.util.ArrayList<>();
    open.forEach((ws, admitted) -> {
      if (!ws.isClosed()) {
        return;
      }
      if (admitted.closingSeenNanos == 0) {
        admitted.closingSeenNanos = now;
      } else if (now - admitted.closingSeenNanos > TimeUnit.MILLISECONDS.toNanos(closeGraceMs)) {
        missed.add(ws);
      }
    });
    missed.forEach(this::release);
    if (!missed.isEmpty()) {
      log.warn("released {} sockets closed for over {} ms that a profile had not released", missed.size(), closeGraceMs);
    }
  }

  /** The node is at {@code limits.maxSocketsPerNode}. */
  public static final class NodeFull extends RuntimeException {
    NodeFull(String message) {
      super(message, null, false, false);
    }
  }
}
