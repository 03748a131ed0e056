package chorus.gateway.profile;

import chorus.shared.Addresses;
import chorus.shared.Failures;
import chorus.shared.bus.ReplyFailed;
import chorus.shared.bus.RetryReplyJob;
import chorus.shared.bus.StopGeneration;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * The AI reply controls and frames every profile shares: {@code stop_generation},
 * {@code retry} and the error a failed reply gives ({@link DeltaFrames} writes the opt-in
 * streaming's {@code assistant_delta}). The caller has checked that the socket's user is a
 * member of the conversation.
 */
final class ReplyControl {
  private final SocketServices services;

  ReplyControl(SocketServices services) {
    this.services = services;
  }

  /** {@code ?stream=true} on the socket's URL opts in to assistant_delta frames. */
  static boolean streamingRequested(String param) {
    return "true".equalsIgnoreCase(param) || "1".equals(param);
  }

  /** The optional {@code message_id} of a stop or retry frame: the id of the user message (a UUID); INVALID when not one. */
  static UUID userMessageId(JsonObject frame) throws InvalidId {
    Object value = frame.getValue("message_id");
    if (value == null) {
      return null;
    }
    try {
      return UUID.fromString((String) value);
    } catch (ClassCastException | IllegalArgumentException e) {
      throw new InvalidId();
    }
  }

  /** Every AI node hears it; the one generating in this conversation stops and stores what was said. */
  void stop(UUID conversationId, UUID userMessageId, String userId) {
    services.vertx().eventBus().publish(Addresses.STOP_GENERATION, new StopGeneration(conversationId, userMessageId, userId));
  }

  /**
   * Asks for a failed reply again. The answer streams and arrives as usual; the future fails
   * with the error frame to send when it cannot be retried.
   */
  Future<Void> retry(UUID conversationId, UUID userMessageId, String userId) {
    return services.vertx().eventBus()
        .request(Addresses.RETRY_REPLY_JOB, new RetryReplyJob(conversationId, userMessageId, userId), services.requestOptions())
        .<Void>mapEmpty()
        .recover(e -> Future.failedFuture(new Refusal(switch (Failures.codeOf(e)) {
          case Failures.NOT_FOUND -> Frames.error("NOT_FOUND", "no such user message in this conversation");
          case Failures.CONFLICT -> Frames.error("NOT_RETRYABLE", "that reply is being generated or was already stored");
          default -> Frames.error("UNAVAILABLE", "the retry could not be requested; try again");
        })));
  }

  /** A re-sent message (same message_id) also retries its reply if that had failed; otherwise nothing happens. */
  void retryQuietly(UUID conversationId, UUID userMessageId, String userId) {
    retry(conversationId, userMessageId, userId);
  }

  /** The error of a reply that will not come for now; {@code reply_to} names the user message to retry. */
  static JsonObject failed(ReplyFailed failed) {
    return Frames.error(failed.code(), failed.text())
        .put("conversation_id", failed.conversationId().toString())
        .put("reply_to", failed.userMessageId().toString());
  }

  static final class InvalidId extends Exception {
    InvalidId() {
      super("message_id must be the id of a user message", null, false, false);
    }
  }

  static final class Refusal extends RuntimeException {
    final JsonObject frame;

    Refusal(JsonObject frame) {
      super(frame.getString("code"), null, false, false);
      this.frame = frame;
    }
  }
}
