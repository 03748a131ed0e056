package chorus.gateway.profile;

import chorus.gateway.auth.AuthFailure;
import chorus.shared.Failures;
import io.vertx.core.Future;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.slf4j.Logger;

/**
 * How a conversation-bound profile refuses a socket it upgraded but will not serve: one
 * error frame, then a close with a 4xxx code. Each profile keeps its own not-found answer
 * (the documents differ); what is common lives here.
 */
final class ConnectRefusal {
  private ConnectRefusal() {}

  /** The error frame and the close code of one refusal. */
  record Refusal(JsonObject frame, short closeCode) {}

  /** An authentication failure as the document answers it, else (logged as {@code log}) the service being unavailable. */
  static Refusal authOrUnavailable(Throwable failure, Logger log, String uri) {
    if (failure instanceof AuthFailure auth) {
      return new Refusal(Frames.error(auth.code(), auth.getMessage()), auth.forbidden() ? CloseCodes.FORBIDDEN : CloseCodes.AUTH_FAILED);
    }
    log.warn("connect failed for {}: {}", uri, failure.toString());
    return new Refusal(Frames.error("UNAVAILABLE", "the service cannot take this connection now; retry shortly"), CloseCodes.INTERNAL_ERROR);
  }

  /** Logs the refusal as {@code profile}'s, sends its frame, then closes the socket with {@code closeReason}. */
  static void send(ServerWebSocket ws, Logger log, String profile, String nodeId, Refusal refusal, String closeReason) {
    log.info("ws refused profile={} code={} reason={} node={}", profile, refusal.closeCode(), refusal.frame().getString("code"), nodeId);
    ws.writeTextMessage(refusal.frame().encode()).eventually(() -> ws.close(refusal.closeCode(), closeReason));
  }

  /** The conversation id of the URL; one that is not a UUID is {@link NotFound}. */
  static Future<UUID> conversationId(String param) {
    try {
      return Future.succeededFuture(UUID.fromString(param));
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(new NotFound());
    }
  }

  /** A load's failure, NOT_FOUND from the persistence role as {@link NotFound}. */
  static <T> Future<T> notFoundIfMissing(Throwable failure) {
    return Future.failedFuture(Failures.codeOf(failure) == Failures.NOT_FOUND ? new NotFound() : failure);
  }

  /** Missing or not the caller's: indistinguishable on purpose. */
  static final class NotFound extends RuntimeException {
    NotFound() {
      super("not found", null, false, false);
    }
  }
}
