package chorus.gateway.socket;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.internal.http.WebSocketInternal;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A socket's Netty channel, for the two things Vert.x has no public API for: dropping the
 * connection at once ({@link SocketClose}) and sending the frames of one event-loop turn in
 * one system call ({@link #consolidateFlushes}). The channel is reached through Vert.x's
 * internal {@link WebSocketInternal}, under the wrapper vertx-web puts around sockets
 * upgraded from a routed request.
 */
public final class SocketChannels {
  private static final Logger log = LoggerFactory.getLogger(SocketChannels.class);
  static final String FLUSH_CONSOLIDATION = "chorus-flush-consolidation";

  private SocketChannels() {}

  /**
   * Makes the frames written to {@code ws} in one event-loop turn leave in one write system
   * call, at most {@code framesPerWrite} of them; 1 leaves Vert.x's way, a system call per frame.
   *
   * <p>Vert.x flushes every frame written outside a read of that same connection, and a
   * delivery is always written outside one (it comes from the event bus). A message to a
   * conversation of 100 is 100 frames and 100 system calls; a batch of k messages committed
   * together, k frames per socket and k calls each. Netty's {@link FlushConsolidationHandler}
   * defers the flush to a task that runs after the turn's other tasks, so the k frames go out
   * together: in the fan-out benchmark at 60,000 deliveries/s, 2.3 million write calls fell to
   * 0.8 million and the node's kernel time by half (docs/bench/findings.md, 38). A lone frame
   * waits only for the end of the current turn.
   */
  public static void consolidateFlushes(WebSocketBase ws, int framesPerWrite) {
    if (framesPerWrite <= 1 || ws.isClosed()) {
      return;
    }
    ChannelHandlerContext channel = of(ws);
    if (channel == null) {
      log.warn("cannot reach the channel of {} ({}); its frames are flushed one by one", ws.remoteAddress(), ws.getClass().getName());
      return;
    }
    if (channel.pipeline().get(FLUSH_CONSOLIDATION) == null) {
      // first in the pipeline: it sees every flush on its way to the socket, the encoders' included
      channel.pipeline().addFirst(FLUSH_CONSOLIDATION, new FlushConsolidationHandler(framesPerWrite, true));
    }
  }

  /** The Netty context of Vert.x's own handler of {@code ws}'s connection, or null when it cannot be reached. */
  static ChannelHandlerContext of(WebSocketBase ws) {
    Object current = ws;
    for (int depth = 0; depth < 4 && current != null; depth++) {
      if (current instanceof WebSocketInternal internal) {
        return internal.channelHandlerContext();
      }
      current = wrapped(current);
    }
    return null;
  }

  /** The socket a wrapper (such as vertx-web's {@code ServerWebSocketWrapper}) delegates to, or null. */
  private static Object wrapped(Object wrapper) {
    for (Class<?> type = wrapper.getClass(); type != null && type != Object.class; type = type.getSuperclass()) {
      for (Field field : type.getDeclaredFields()) {
        if (!Modifier.isStatic(field.getModifiers()) && WebSocketBase.class.isAssignableFrom(field.getType())) {
          try {
            field.setAccessible(true);
            return field.get(wrapper);
          } catch (RuntimeException | IllegalAccessException e) {
            log.debug("cannot unwrap {}: {}", wrapper.getClass().getName(), e.toString());
            return null;
          }
        }
      }
    }
    return null;
  }
}
