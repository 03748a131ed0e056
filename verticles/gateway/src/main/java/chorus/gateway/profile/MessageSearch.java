package chorus.gateway.profile;

import chorus.gateway.ContentConfig;
import chorus.shared.Addresses;
import chorus.shared.bus.SearchMessages;
import chorus.shared.bus.SearchResults;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.UUID;

/**
 * Message search, for the user profile's {@code search_messages} frame and for
 * {@code GET /api/v1/search}: the same checks, the same answer. Results are the caller's
 * conversations' plaintext messages, newest first; {@code next_cursor} (opaque) asks for the
 * next, older page and is null on the last one.
 */
public final class MessageSearch {
  /** A request that cannot be run, with the error code its caller answers with. */
  public static final class Refused extends RuntimeException {
    public final String code;

    Refused(String code, String message) {
      super(message, null, false, false);
      this.code = code;
    }
  }

  private final Vertx vertx;
  private final ContentConfig limits;
  private final DeliveryOptions requestOptions;

  public MessageSearch(Vertx vertx, ContentConfig limits, DeliveryOptions requestOptions) {
    this.vertx = vertx;
    this.limits = limits;
    this.requestOptions = requestOptions;
  }

  /**
   * Runs a search; the parameters are as the client gave them (null when absent). Fails with
   * {@link Refused} for bad input, or with the event-bus failure.
   */
  public Future<JsonObject> search(String userId, Object query, Object conversationId, Object limit, Object before) {
    SearchMessages request;
    try {
      request = request(userId, query, conversationId, limit, before);
    } catch (Refused refused) {
      return Future.failedFuture(refused);
    }
    return vertx.eventBus().<SearchResults>request(Addresses.SEARCH_MESSAGES, request, requestOptions)
        .map(Message::body)
        .map(MessageSearch::results);
  }

  private SearchMessages request(String userId, Object query, Object conversationId, Object limit, Object before) {
    if (!(query instanceof String text) || text.isBlank()) {
      throw new Refused("INVALID_QUERY", "the query must be a non-empty string");
    }
    if (text.codePointCount(0, text.length()) > limits.searchMaxQueryChars()) {
      throw new Refused("QUERY_TOO_LONG", "the query is longer than " + limits.searchMaxQueryChars() + " characters");
    }
    UUID conversation = null;
    if (conversationId != null) {
      try {
        conversation = UUID.fromString((String) conversationId);
      } catch (ClassCastException | IllegalArgumentException e) {
        throw new Refused("INVALID_MESSAGE", "conversation_id must be a conversation's id");
      }
    }
    int pageSize = limits.searchDefaultResults();
    if (limit != null) {
      long asked;
      try {
        asked = limit instanceof Number number && number.doubleValue() == number.longValue() ? number.longValue() : Long.parseLong((String) limit);
      } catch (ClassCastException | NumberFormatException e) {
        throw new Refused("INVALID_MESSAGE", "limit must be a positive integer");
      }
      if (asked < 1) {
        throw new Refused("INVALID_MESSAGE", "limit must be a positive integer");
      }
      pageSize = (int) Math.min(asked, limits.searchMaxResults());
    }
    Instant beforeTime = null;
    UUID beforeId = null;
    if (before != null) {
      try {
        String[] cursor = new String(Base64.getUrlDecoder().decode((String) before), StandardCharsets.UTF_8).split("\\|", 2);
        beforeTime = Instant.parse(cursor[0]);
        beforeId = UUID.fromString(cursor[1]);
      } catch (ClassCastException | IllegalArgumentException | DateTimeParseException | ArrayIndexOutOfBoundsException e) {
        throw new Refused("INVALID_CURSOR", "before must be a next_cursor from an earlier search");
      }
    }
    return new SearchMessages(userId, text, conversation, beforeTime, beforeId, pageSize);
  }

  private static JsonObject results(SearchResults page) {
    JsonArray results = new JsonArray();
    page.hits().forEach(hit -> results.add(Frames.userMessage(hit.message())
        .put("conversation_id", hit.message().conversationId().toString())
        .put("snippet", hit.snippet())));
    String next = null;
    if (page.hasMore() && !page.hits().isEmpty()) {
      var last = page.hits().get(page.hits().size() - 1).message();
      next = Base64.getUrlEncoder().withoutPadding()
          .encodeToString((last.createdAt() + "|" + last.id()).getBytes(StandardCharsets.UTF_8));
    }
    return new JsonObject().put("results", results).put("next_cursor", next);
  }
}
