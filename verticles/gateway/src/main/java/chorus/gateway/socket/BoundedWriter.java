package chorus.gateway.socket;

import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a socket's outgoing frames with a bounded write queue: a client that stops reading
 * (a slow consumer) is closed with {@link #CLOSE_CODE} instead of making the node buffer
 * for it without bound. Other sockets, on the same node and conversation, are not slowed:
 * nothing here waits, a frame is either queued at once or the socket is let go.
 *
 * <p>The bound: {@code writeQueueMaxBytes} of queued frames (Vert.x's write queue high-water
 * mark), plus the frame being written when it was reached. From the moment the queue is found
 * full nothing more is written to the socket; its close frame goes after what is queued, and
 * the connection is dropped after {@code closeGraceMs} if the client has not read that far.
 *
 * <p>One writer per socket, used on the socket's context, for every frame the profile sends.
 */
public final class BoundedWriter {
  private static final Logger log = LoggerFactory.getLogger(BoundedWriter.class);

  /**
   * 1013 "try again later" (RFC 6455 registry): the node will not keep buffering for this
   * connection now; the client may reconnect and resume from its last {@code seq}.
   */
  public static final short CLOSE_CODE = 1013;
  public static final String CLOSE_REASON = "slow consumer";

  private final Vertx vertx;
  private final ServerWebSocket ws;
  private final int maxQueueBytes;
  private final long closeGraceMs;
  private boolean overflowed;

  public BoundedWriter(Vertx vertx, ServerWebSocket ws, int maxQueueBytes, long closeGraceMs) {
    this.vertx = vertx;
    this.ws = ws;
    this.maxQueueBytes = maxQueueBytes;
    this.closeGraceMs = closeGraceMs;
    if (!ws.isClosed()) {
      ws.setWriteQueueMaxSize(maxQueueBytes);
    }
  }

  /** The writer of {@code ws}, whose frames of one event-loop turn leave together ({@link SocketChannels#consolidateFlushes}). */
  public static BoundedWriter attach(Vertx vertx, ServerWebSocket ws, SocketLimits limits) {
    SocketChannels.consolidateFlushes(ws, limits.framesPerWrite());
    return new BoundedWriter(vertx, ws, limits.writeQueueMaxBytes(), limits.closeGraceMs());
  }

  /**
   * Queues one text message; returns false when it was not (the socket is closed, or is being
   * closed as a slow consumer, this frame having found the queue full).
   */
  public boolean writeText(String text) {
    if (overflowed || ws.isClosed()) {
      return false;
    }
    if (ws.writeQueueFull()) {
      overflowed = true;
      log.info("ws slow consumer: write queue over {} bytes, closing remote={} code={}", maxQueueBytes, ws.remoteAddress(), CLOSE_CODE);
      SocketClose.close(vertx, ws, CLOSE_CODE, CLOSE_REASON, closeGraceMs);
      return false;
    }
    ws.writeTextMessage(text);
    return true;
  }

  /** True once the socket was found to be a slow consumer (and is being closed). */
  public boolean overflowed() {
    return overflowed;
  }
}
