package chorus.gateway.profile;

import chorus.gateway.PresenceClient;
import chorus.shared.Addresses;
import chorus.shared.bus.AppendMessage;
import chorus.shared.bus.AppendResult;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.ServerWebSocket;

/**
 * How a socket sends a user's message, for every profile: take from the user's
 * cluster-wide allowance, store (one round trip to the conversation's persistence role, see
 * {@link chorus.gateway.AppendRouting}; acknowledged after commit), then hand a
 * new message to this node's feed so that every local socket, the sender's included,
 * gets it in seq order, once. A repeat of a stored message is returned for the sender
 * alone. Refusals in a row are counted so that the socket can close a client that keeps going.
 */
final class MessageSender {
  private final SocketServices services;
  private final PresenceClient presence;
  private int refusalsInARow;

  MessageSender(SocketServices services) {
    this.services = services;
    this.presence = services.presence();
  }

  /** The stored result, or null when the allowance was used up (nothing stored). */
  Future<AppendResult> send(AppendMessage append) {
    return take(append.requesterId()).compose(allowed -> allowed ? append(append) : Future.succeededFuture());
  }

  private Future<AppendResult> append(AppendMessage append) {
    String address = services.appends().addressFor(append.conversationId());
    return services.vertx().eventBus()
        .<AppendResult>request(address, append, services.requestOptions())
        .recover(failure -> {
          // that role has just stopped (its addresses go first): any other one will do
          boolean gone = failure instanceof ReplyException reply && reply.failureType() == ReplyFailure.NO_HANDLERS;
          if (!gone || address.equals(Addresses.APPEND)) {
            return Future.failedFuture(failure);
          }
          services.appends().unreachable(address);
          return services.vertx().eventBus().<AppendResult>request(Addresses.APPEND, append, services.requestOptions());
        })
        .map(Message::body)
        .onSuccess(result -> {
          if (!result.duplicate()) {
            services.feeds().offer(result.message());
          }
        });
  }

  /**
   * One message's worth of {@code key}'s cluster-wide allowance (a user id, or another key for
   * a client without one); a refusal counts towards {@link #abusive}.
   */
  Future<Boolean> take(String key) {
    return presence.takeMessageToken(key).map(allowed -> {
      refusalsInARow = allowed ? 0 : refusalsInARow + 1;
      return allowed;
    });
  }

  /** The client has been refused limits.rateLimitStrikes times in a row. */
  boolean abusive() {
    return refusalsInARow >= services.config().rateLimitStrikes();
  }

  /** Closes a client that keeps sending after being refused ({@link #abusive}). */
  void closeIfAbusive(ServerWebSocket ws) {
    if (abusive()) {
      ws.close(CloseCodes.POLICY_VIOLATION, "rate limit exceeded");
    }
  }
}
