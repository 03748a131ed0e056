package chorus.gateway;

import chorus.shared.Addresses;
import chorus.shared.bus.Admission;
import chorus.shared.bus.RateLimitTake;
import chorus.shared.bus.SocketClosed;
import chorus.shared.bus.SocketOpened;
import chorus.shared.bus.ViewerJoined;
import chorus.shared.bus.ViewerLeft;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's side of the presence role: admits sockets (per user) and conversation
 * views (per conversation) against cluster-wide limits, reports them closing, and takes
 * from users' cluster-wide message allowance. A close or leave is sent only after its
 * open was answered, so two presence verticles can never apply them in the wrong order.
 * When the presence role cannot answer, sockets are admitted (fail open) and it is logged:
 * a presence outage must not take the chat down with it.
 */
public final class PresenceClient {
  private static final Logger log = LoggerFactory.getLogger(PresenceClient.class);

  private final EventBus eventBus;
  private final GatewayConfig config;
  private final DeliveryOptions options;

  public PresenceClient(EventBus eventBus, GatewayConfig config) {
    this.eventBus = eventBus;
    this.config = config;
    this.options = new DeliveryOptions().setSendTimeout(config.requestTimeoutMs());
  }

  /** Admits a socket unless its user already has limits.maxSocketsPerUser open in the cluster. */
  public Future<Boolean> opened(String userId, String socketId, String profile) {
    return admitted(eventBus.request(Addresses.PRESENCE_SOCKET_OPENED,
        new SocketOpened(userId, config.nodeInstance(), socketId, profile, config.maxSocketsPerUser()), options), "socket open");
  }

  public void closed(Future<Boolean> opened, String userId, String socketId) {
    opened.onComplete(ar -> {
      if (ar.succeeded() && ar.result()) {
        eventBus.request(Addresses.PRESENCE_SOCKET_CLOSED, new SocketClosed(userId, config.nodeInstance(), socketId), options)
            .onFailure(e -> log.warn("presence: socket close not recorded: {}", e.toString()));
      }
    });
  }

  /** Admits a socket's view of a conversation unless limits.maxSocketsPerConversation are on it already. */
  public Future<Boolean> viewerJoined(UUID conversationId, String userId, String socketId) {
    return admitted(eventBus.request(Addresses.PRESENCE_VIEWER_JOINED,
        new ViewerJoined(conversationId, userId, config.nodeInstance(), socketId, config.maxSocketsPerConversation()), options), "viewer join");
  }

  public void viewerLeft(Future<Boolean> joined, UUID conversationId, String socketId) {
    joined.onComplete(ar -> {
      if (ar.succeeded() && ar.result()) {
        eventBus.request(Addresses.PRESENCE_VIEWER_LEFT, new ViewerLeft(conversationId, config.nodeInstance(), socketId), options)
            .onFailure(e -> log.warn("presence: viewer leave not recorded: {}", e.toString()));
      }
    });
  }

  /** One message's worth of the user's cluster-wide allowance: false when it is used up. */
  public Future<Boolean> takeMessageToken(String userId) {
    return admitted(eventBus.request(Addresses.RATE_LIMIT_TAKE,
        new RateLimitTake(userId, config.messagesPerSecond(), config.messageBurst()), options), "rate limit");
  }

  private static Future<Boolean> admitted(Future<Message<Object>> request, String what) {
    return request.map(reply -> ((Admission) reply.body()).admitted())
        .recover(e -> {
          log.warn("presence: {} not checked, admitting: {}", what, e.toString());
          return Future.succeededFuture(true);
        });
  }
}
