package chorus.gateway.socket;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * WebSocket heartbeat for one server socket, whatever its profile: a PING control frame every
 * {@code pingIntervalMs}; a PONG, or any other frame from the client, is a sign of life; no
 * sign of life for {@code timeoutMs} closes the socket with {@link #CLOSE_CODE}.
 *
 * <p>It listens with {@link ServerWebSocket#pongHandler} and {@link ServerWebSocket#frameHandler},
 * which Vert.x calls in addition to (not instead of) the text and binary message handlers a
 * profile sets. A profile that needs {@code frameHandler} itself must call {@link #alive()}
 * from it. It does not take the close handler either: the profile calls {@link #cancel()} from
 * its own; the heartbeat also stops by itself when it finds the socket closed.
 *
 * <p>Everything runs on the socket's context (attach from there): two timers per socket, no
 * work per frame beyond storing a timestamp.
 */
public final class Heartbeat {
  private static final Logger log = LoggerFactory.getLogger(Heartbeat.class);

  /**
   * 1001 "going away". RFC 6455 has no code for a peer that stopped answering; 1006 (abnormal
   * closure) is the name of exactly this situation but may not be sent in a close frame, and
   * 1011 says the server hit an unexpected error, which it did not. 1001 says this end is
   * abandoning the connection and the client should reconnect (which resumes with
   * {@code last_seq}); it is also what servers such as Jetty send on an idle timeout. The
   * reason text, {@value #CLOSE_REASON}, tells it apart from a node shutting down.
   */
  public static final short CLOSE_CODE = 1001;
  public static final String CLOSE_REASON = "heartbeat timeout";
  private static final Buffer PING_PAYLOAD = Buffer.buffer("chorus");

  private final Vertx vertx;
  private final ServerWebSocket ws;
  private final long timeoutNanos;
  private final long closeGraceMs;
  private long lastSeen = System.nanoTime();
  private long pingTimer = -1;
  private long deadlineTimer = -1;
  private boolean cancelled;

  private Heartbeat(Vertx vertx, ServerWebSocket ws, long timeoutMs, long closeGraceMs) {
    this.vertx = vertx;
    this.ws = ws;
    this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    this.closeGraceMs = closeGraceMs;
  }

  /** With the node's settings; heartbeats are off (an inert handle) when {@code pingIntervalMs} is 0. */
  public static Heartbeat attach(Vertx vertx, ServerWebSocket ws, SocketLimits limits) {
    if (limits.pingIntervalMs() <= 0) {
      Heartbeat off = new Heartbeat(vertx, ws, 1, limits.closeGraceMs());
      off.cancelled = true;
      return off;
    }
    return attach(vertx, ws, limits.pingIntervalMs(), limits.heartbeatTimeoutMs(), limits.closeGraceMs());
  }

  public static Heartbeat attach(Vertx vertx, ServerWebSocket ws, long pingIntervalMs, long timeoutMs) {
    return attach(vertx, ws, pingIntervalMs, timeoutMs, SocketLimits.DEFAULT_CLOSE_GRACE_MS);
  }

  /** Starts pinging {@code ws}; call on the socket's context. Cancel it when the socket closes. */
  public static Heartbeat attach(Vertx vertx, ServerWebSocket ws, long pingIntervalMs, long timeoutMs, long closeGraceMs) {
    if (pingIntervalMs <= 0 || timeoutMs <= 0) {
      throw new IllegalArgumentException("ping interval and timeout must be positive");
    }
    Heartbeat heartbeat = new Heartbeat(vertx, ws, timeoutMs, closeGraceMs);
    if (ws.isClosed()) {
      heartbeat.cancelled = true;
      return heartbeat;
    }
    ws.pongHandler(pong -> heartbeat.alive());
    ws.frameHandler(frame -> heartbeat.alive());
    heartbeat.pingTimer = vertx.setPeriodic(pingIntervalMs, id -> heartbeat.ping());
    heartbeat.deadlineTimer = vertx.setTimer(timeoutMs, id -> heartbeat.checkDeadline());
    return heartbeat;
  }

  /** A sign of life from the client. */
  public void alive() {
    lastSeen = System.nanoTime();
  }

  /** Stops the timers; idempotent. */
  public void cancel() {
    if (cancelled) {
      return;
    }
    cancelled = true;
    vertx.cancelTimer(pingTimer);
    vertx.cancelTimer(deadlineTimer);
  }

  public boolean isCancelled() {
    return cancelled;
  }

  private void ping() {
    if (cancelled) {
      return;
    }
    if (ws.isClosed()) {
      cancel();
      return;
    }
    ws.writePing(PING_PAYLOAD);
  }

  private void checkDeadline() {
    if (cancelled) {
      return;
    }
    if (ws.isClosed()) {
      cancel();
      return;
    }
    long silent = System.nanoTime() - lastSeen;
    if (silent < timeoutNanos) {
      // life was seen since this timer was set: wait for the rest of the window after it
      deadlineTimer = vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos - silent)), id -> checkDeadline());
      return;
    }
    cancel();
    log.info("ws heartbeat timeout: no pong or frame for {} ms, closing remote={} code={}",
        TimeUnit.NANOSECONDS.toMillis(silent), ws.remoteAddress(), CLOSE_CODE);
    SocketClose.close(vertx, ws, CLOSE_CODE, CLOSE_REASON, closeGraceMs);
  }
}
