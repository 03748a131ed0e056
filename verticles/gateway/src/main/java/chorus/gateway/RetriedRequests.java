package chorus.gateway;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;

/**
 * Requests that are safe to send twice (reads, and presence changes, which are idempotent),
 * each tried with a short timeout ({@code limits.requestAttemptMs}) and tried again until
 * {@code limits.requestTimeoutMs} has passed. Vert.x does not fail a message sent to a node
 * that has died: it waits out the whole timeout. For the seconds until the cluster drops a
 * dead node, its roles are still chosen for requests, so a socket reconnecting after a
 * crash waited 10 s for a context read that went there; a second attempt goes to a live
 * node (the event bus picks handlers round-robin).
 */
public final class RetriedRequests {
  /** Between two attempts; the attempt's own timeout is most of the wait. */
  private static final long RETRY_PAUSE_MS = 100;

  private final Vertx vertx;
  private final EventBus eventBus;
  private final DeliveryOptions attemptOptions;
  private final long requestTimeoutMs;

  public RetriedRequests(Vertx vertx, GatewayConfig config) {
    this.vertx = vertx;
    this.eventBus = vertx.eventBus();
    this.requestTimeoutMs = config.requestTimeoutMs();
    this.attemptOptions = new DeliveryOptions().setSendTimeout(Math.min(config.requestAttemptMs(), config.requestTimeoutMs()));
  }

  /** The reply's body, from the first attempt answered; fails with the last attempt's failure. */
  public <T> Future<T> ask(String address, Object request) {
    Promise<T> answer = Promise.promise();
    attempt(address, request, System.nanoTime() + requestTimeoutMs * 1_000_000L, answer);
    return answer.future();
  }

  /** One attempt, with the short timeout: for a caller that repeats it on its own terms. */
  public <T> Future<T> once(String address, Object request) {
    return eventBus.<T>request(address, request, attemptOptions).map(message -> message.body());
  }

  private <T> void attempt(String address, Object request, long deadlineNanos, Promise<T> answer) {
    eventBus.<T>request(address, request, attemptOptions).onComplete(ar -> {
      if (ar.succeeded()) {
        answer.complete(ar.result().body());
      } else if (!worthAnotherAttempt(ar.cause()) || System.nanoTime() + RETRY_PAUSE_MS * 1_000_000L >= deadlineNanos) {
        answer.fail(ar.cause());
      } else {
        vertx.setTimer(RETRY_PAUSE_MS, t -> attempt(address, request, deadlineNanos, answer));
      }
    });
  }

  /** Only an unanswered attempt is tried again; a refusal (not found, invalid) is the answer. */
  private static boolean worthAnotherAttempt(Throwable failure) {
    return !(failure instanceof io.vertx.core.eventbus.ReplyException reply)
        || reply.failureType() != io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE;
  }
}
