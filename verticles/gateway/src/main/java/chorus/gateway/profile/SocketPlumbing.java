package chorus.gateway.profile;

import chorus.gateway.socket.BoundedWriter;
import chorus.gateway.socket.Heartbeat;
import chorus.gateway.socket.NodeSockets;
import chorus.gateway.socket.SocketClose;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The set-up every profile's socket shares, in one place: reading paused until the socket
 * is admitted, inbound text frames handled one after another with a bound on how many wait
 * ({@link FrameQueue}), binary frames refused, an over-long message closed with 1009,
 * heartbeats, the bounded writer for every outgoing frame, and a close handled once
 * (heartbeat stopped, node count released) before the profile's own clean-up.
 * A composition helper rather than a base class: a socket may already extend FeedListener.
 */
final class SocketPlumbing {
  private static final Logger log = LoggerFactory.getLogger(SocketPlumbing.class);

  /** What the profile does with what arrives; all called on the socket's context. */
  interface Events {
    /** One text frame, handled after the previous one's future completed. */
    Future<Void> onText(String text);

    /** A text frame found limits.maxPendingFrames already waiting: it was dropped. */
    void onBusy();

    /** A binary frame (no profile speaks binary). */
    void onBinary();

    /** The socket closed (once), after the shared clean-up. */
    void onClosed();

    /** The node drains: tell the client, in the profile's own frame, that it should reconnect. */
    void onDraining();
  }

  /** The error code of the notice a socket gets before the node closes it with 1012 to drain. */
  static final String DRAIN_CODE = "SERVER_RESTARTING";
  static final String DRAIN_TEXT = "this server is restarting; reconnect (you will reach another server) and resume where you left off";

  /**
   * The events every profile handles the same way: a text frame that is not a JSON object,
   * a busy frame and a binary frame answered with an error frame ({@code error} takes code
   * and text); each JSON object frame and the close handed to the profile.
   */
  static Events events(Function<JsonObject, Future<Void>> onFrame, BiConsumer<String, String> error, String busyText, Runnable onClosed) {
    return new Events() {
      @Override
      public Future<Void> onText(String text) {
        JsonObject frame;
        try {
          frame = new JsonObject(text);
        } catch (DecodeException | ClassCastException e) {
          error.accept("INVALID_JSON", "frame is not a JSON object");
          return Future.succeededFuture();
        }
        return onFrame.apply(frame);
      }

      @Override
      public void onBusy() {
        error.accept("BUSY", busyText);
      }

      @Override
      public void onBinary() {
        error.accept("UNSUPPORTED_FRAME", "binary frames are not supported; send JSON text frames");
      }

      @Override
      public void onClosed() {
        onClosed.run();
      }

      @Override
      public void onDraining() {
        error.accept(DRAIN_CODE, DRAIN_TEXT);
      }
    };
  }

  private final SocketServices services;
  private final ServerWebSocket ws;
  private final String socketId;
  private final FrameQueue inbound;
  private final BoundedWriter writer;
  private final Heartbeat heartbeat;
  private final Counter framesOut;
  private boolean closed;
  /** Sent away by a drain: frames that arrive from now on are not handled (not acknowledged, so the client sends them again elsewhere). */
  private boolean leaving;

  private SocketPlumbing(SocketServices services, String profile, ServerWebSocket ws, String socketId, Events events) {
    this.services = services;
    Counter framesIn = services.meters().framesIn(profile);
    this.framesOut = services.meters().framesOut(profile);
    this.ws = ws;
    this.socketId = socketId;
    this.inbound = new FrameQueue(services.config().maxPendingFrames());
    ws.pause();
    ws.textMessageHandler(text -> {
      framesIn.increment();
      if (leaving) {
        return;
      }
      if (!inbound.offer(() -> events.onText(text))) {
        events.onBusy();
      }
    });
    ws.binaryMessageHandler(ignored -> events.onBinary());
    ws.exceptionHandler(this::onSocketError);
    ws.closeHandler(v -> {
      if (closed) {
        return;
      }
      closed = true;
      heartbeat().cancel();
      services.sockets().release(ws);
      events.onClosed();
    });
    this.writer = BoundedWriter.attach(services.vertx(), ws, services.config().socketLimits());
    this.heartbeat = Heartbeat.attach(services.vertx(), ws, services.config().socketLimits());
    services.sockets().onDrain(ws, () -> leave(events));
  }

  /**
   * The node drains: the profile's notice, then, once the frames already received are handled
   * (an append in flight is stored and acknowledged), the close with 1012.
   */
  private void leave(Events events) {
    if (leaving || closed()) {
      return;
    }
    leaving = true;
    events.onDraining();
    afterPendingFrames(() -> SocketClose.close(services.vertx(), ws, NodeSockets.DRAIN_CLOSE_CODE, NodeSockets.DRAIN_CLOSE_REASON,
        services.config().socketLimits().closeGraceMs()).otherwiseEmpty());
  }

  /**
   * Wires {@code ws} (paused: nothing is read until {@link #resume}); call on the socket's
   * context before any other handler of the socket is set.
   */
  static SocketPlumbing attach(SocketServices services, String profile, ServerWebSocket ws, String socketId, Events events) {
    return new SocketPlumbing(services, profile, ws, socketId, events);
  }

  /** Through a method: the close handler is set before the field is (a close is only handled after the constructor). */
  private Heartbeat heartbeat() {
    return heartbeat;
  }

  /** Starts reading frames (once admitted). */
  void resume() {
    ws.resume();
  }

  /** Queues a frame for the client unless the socket is closed or closing. */
  void send(JsonObject frame) {
    if (!closed) {
      sendEncoded(frame.encode());
    }
  }

  /** {@link #send} for a frame encoded already (one encoding shared by many sockets). */
  void sendEncoded(String text) {
    // the writer asks the socket whether it is closed: once per frame is enough (a lock each
    // time; the fan-out profile had ServerWebSocketWrapper.isClosed among its top frames)
    if (!closed && writer.writeText(text)) {
      framesOut.increment();
    }
  }

  /** Runs {@code action} after every frame already received has been handled. */
  void afterPendingFrames(Supplier<Future<Void>> action) {
    if (!inbound.offer(action)) {
      action.get();
    }
  }

  boolean closed() {
    return closed || ws.isClosed();
  }

  private void onSocketError(Throwable failure) {
    // Vert.x reports an over-long message here and leaves the socket open: close it as RFC 6455 says
    if (MessageRules.tooBig(failure)) {
      ws.close(CloseCodes.MESSAGE_TOO_BIG, "message too big");
    } else {
      log.debug("socket {} error: {}", socketId, failure.toString());
    }
  }
}
