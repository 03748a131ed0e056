package chorus.gateway.socket;

import chorus.gateway.GatewayMeters;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
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
 */
public final class NodeSockets {
  private static final Logger log = LoggerFactory.getLogger(NodeSockets.class);

  /** 1013 "try again later": this node is full now; another node, or this one later, will take the client. */
  public static final short CLOSE_CODE = 1013;
  public static final String CLOSE_REASON = "node full";
  public static final String ERROR_CODE = "NODE_FULL";
  public static final String ERROR_MESSAGE = "this node has no room for another connection; retry shortly";
  private static final long SWEEP_INTERVAL_MS = 10_000;

  private final Vertx vertx;
  private final int max;
  private final long closeGraceMs;
  /** Each open socket with its profile and when it was admitted. */
  private final Map<ServerWebSocket, Admitted> open = new IdentityHashMap<>();
  private final GatewayMeters meters;
  private long sweepTimer = -1;

  private record Admitted(String profile, long atNanos) {}

  public NodeSockets(Vertx vertx, SocketLimits limits, GatewayMeters meters) {
    this.vertx = vertx;
    this.meters = meters;
    this.max = limits.maxSocketsPerNode();
    this.closeGraceMs = limits.closeGraceMs();
  }

  /**
   * Counts {@code ws} (a socket of {@code profile}, for the meters) when there is room and returns it. When the node is full, sends the
   * profile's {@code refusal} (its error frame with code {@link #ERROR_CODE}), closes with
   * {@link #CLOSE_CODE} and fails with {@link NodeFull}.
   */
  public Future<ServerWebSocket> admit(ServerWebSocket ws, String profile, String refusal) {
    synchronized (this) {
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
      meters.socketClosed(admitted.profile(), admitted.atNanos());
    }
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
      sweepTimer = vertx.setPeriodic(SWEEP_INTERVAL_MS, id -> sweep());
    }
  }

  private synchronized void sweep() {
    List<ServerWebSocket> closed = open.keySet().stream().filter(ServerWebSocket::isClosed).toList();
    closed.forEach(this::release);
    if (!closed.isEmpty()) {
      log.warn("released {} closed sockets a profile had not released", closed.size());
    }
  }

  /** The node is at {@code limits.maxSocketsPerNode}. */
  public static final class NodeFull extends RuntimeException {
    NodeFull(String message) {
      super(message, null, false, false);
    }
  }
}
