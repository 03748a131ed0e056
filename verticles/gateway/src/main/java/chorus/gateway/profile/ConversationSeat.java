package chorus.gateway.profile;

import chorus.gateway.PresenceClient;
import io.vertx.core.Future;
import java.util.UUID;
import java.util.function.BiConsumer;

/**
 * The two cluster-wide places a socket bound to one conversation takes when it opens, in
 * order: one of its client's connections (limits.maxSocketsPerUser), then one of the
 * conversation's viewers; both given back when it closes. Shared by the conversation and
 * survey profiles.
 */
final class ConversationSeat {
  private final PresenceClient presence;
  private final String clientKey;
  private final UUID conversationId;
  private final String socketId;
  private Future<Boolean> connection = Future.succeededFuture(false);
  private Future<Boolean> viewer = Future.succeededFuture(false);

  /** @param clientKey presence and limit key: the user, or another key for a client without one */
  ConversationSeat(PresenceClient presence, String clientKey, UUID conversationId, String socketId) {
    this.presence = presence;
    this.clientKey = clientKey;
    this.conversationId = conversationId;
    this.socketId = socketId;
  }

  /**
   * Takes both places for {@code profile}'s socket: {@code admitted} runs once it has them,
   * else {@code refused} gets the refusal's code and reason.
   */
  void take(String profile, BiConsumer<String, String> refused, Runnable admitted) {
    connection = presence.opened(clientKey, socketId, profile);
    connection.onSuccess(connected -> {
      if (!connected) {
        refused.accept("TOO_MANY_CONNECTIONS", "Too many connections");
        return;
      }
      viewer = presence.viewerJoined(conversationId, clientKey, socketId);
      viewer.onSuccess(viewing -> {
        if (!viewing) {
          refused.accept("CONVERSATION_FULL", "Too many connections on this conversation");
        } else {
          admitted.run();
        }
      });
    });
  }

  /** Gives back what {@link #take} got (whenever it completes). */
  void release() {
    presence.viewerLeft(viewer, conversationId, socketId);
    presence.closed(connection, clientKey, socketId);
  }
}
