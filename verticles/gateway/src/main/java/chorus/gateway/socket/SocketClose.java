package chorus.gateway.socket;

import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a socket from the node's side with a close code, and makes sure the connection is
 * really gone within a grace period.
 *
 * <p>A WebSocket close is a handshake: the node queues a close frame and waits for the
 * client's. Vert.x starts its own closing timeout only once the close frame has reached the
 * kernel, and a client that stopped reading (a slow consumer, a dead peer behind a full
 * window) never lets it get there: the connection and its queued bytes would stay forever.
 * So after {@code graceMs} the TCP connection is dropped whatever state the handshake is in.
 */
public final class SocketClose {
  private static final Logger log = LoggerFactory.getLogger(SocketClose.class);

  private SocketClose() {}

  /**
   * Sends a close frame with {@code code} and {@code reason} (queued after what is already
   * queued) and drops the connection if it is still open {@code graceMs} later. Completes
   * when the connection is closed. Call on the socket's context.
   */
  public static Future<Void> close(Vertx vertx, WebSocketBase ws, short code, String reason, long graceMs) {
    if (ws.isClosed()) {
      return Future.succeededFuture();
    }
    Future<Void> closed = ws.close(code, reason);
    if (closed.isComplete()) {
      return closed;
    }
    long timer = vertx.setTimer(graceMs, id -> {
      if (!closed.isComplete() && !ws.isClosed()) {
        log.info("ws close handshake not finished after {} ms, dropping the connection remote={} code={} reason={}",
            graceMs, ws.remoteAddress(), code, reason);
        drop(ws);
      }
    });
    return closed.onComplete(ar -> vertx.cancelTimer(timer));
  }

  /**
   * Closes the TCP connection now, discarding whatever is still queued. The close goes
   * through the Netty pipeline below Vert.x's own connection handler (as Vert.x does for an
   * idle timeout): a close through the channel would only wait for the pending handshake.
   * Vert.x has no public API for this; the socket's channel is reached by {@link SocketChannels}.
   */
  static void drop(WebSocketBase ws) {
    ChannelHandlerContext channel = SocketChannels.of(ws);
    if (channel != null) {
      channel.close();
    } else {
      log.warn("cannot drop the connection of {} ({}); it stays until the client reads or the TCP connection fails",
          ws.remoteAddress(), ws.getClass().getName());
    }
  }
}
