package chorus.gateway;

import chorus.shared.Addresses;
import chorus.shared.bus.SocketClosed;
import chorus.shared.bus.SocketOpened;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the presence role about this node's sockets. A close is sent only after its open
 * was acknowledged, so the two can never be applied in the wrong order by two presence
 * verticles on different nodes.
 */
public final class PresenceReporter {
  private static final Logger log = LoggerFactory.getLogger(PresenceReporter.class);

  private final EventBus eventBus;
  private final String nodeId;
  private final DeliveryOptions options;

  public PresenceReporter(EventBus eventBus, String nodeId, long timeoutMs) {
    this.eventBus = eventBus;
    this.nodeId = nodeId;
    this.options = new DeliveryOptions().setSendTimeout(timeoutMs);
  }

  /** Returns the registration; pass it to {@link #closed}. Presence being down never blocks a socket. */
  public Future<Void> opened(String userId, String socketId, String profile) {
    return eventBus.request(Addresses.PRESENCE_SOCKET_OPENED, new SocketOpened(userId, nodeId, socketId, profile), options)
        .<Void>mapEmpty()
        .onFailure(e -> log.warn("presence: socket open not recorded: {}", e.toString()));
  }

  public void closed(Future<Void> opened, String userId, String socketId) {
    opened.onComplete(ar -> eventBus.request(Addresses.PRESENCE_SOCKET_CLOSED, new SocketClosed(userId, nodeId, socketId), options)
        .onFailure(e -> log.warn("presence: socket close not recorded: {}", e.toString())));
  }
}
