package chorus.gateway.profile;

import chorus.gateway.feed.ConversationFeeds;
import chorus.shared.bus.TypingChanged;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One socket's typing state, shared by every profile that accepts typing_start /
 * typing_stop: a start publishes a {@link TypingChanged} on the conversation's topic only
 * when the socket was not already typing there (a burst of starts becomes one event), and
 * the indicator stops by itself after {@code timeoutMs} without a start. Touched only on
 * the socket's event loop.
 */
final class Typing {
  private final Vertx vertx;
  private final ConversationFeeds feeds;
  private final long timeoutMs;
  private final String userId;
  private final String socketId;
  private final Map<UUID, Long> expiry = new HashMap<>();

  Typing(Vertx vertx, ConversationFeeds feeds, long timeoutMs, String userId, String socketId) {
    this.vertx = vertx;
    this.feeds = feeds;
    this.timeoutMs = timeoutMs;
    this.userId = userId;
    this.socketId = socketId;
  }

  void start(UUID conversationId) {
    Long timer = expiry.remove(conversationId);
    if (timer != null) {
      vertx.cancelTimer(timer);
    } else {
      feeds.publishTyping(new TypingChanged(conversationId, userId, true, socketId));
    }
    expiry.put(conversationId, vertx.setTimer(timeoutMs, t -> {
      expiry.remove(conversationId);
      feeds.publishTyping(new TypingChanged(conversationId, userId, false, socketId));
    }));
  }

  /** Stops the indicator if this socket is typing there (typing_stop, a message sent, left, closed). */
  void stop(UUID conversationId) {
    Long timer = expiry.remove(conversationId);
    if (timer != null) {
      vertx.cancelTimer(timer);
      feeds.publishTyping(new TypingChanged(conversationId, userId, false, socketId));
    }
  }

  void stopAll() {
    for (UUID conversationId : List.copyOf(expiry.keySet())) {
      stop(conversationId);
    }
  }
}
