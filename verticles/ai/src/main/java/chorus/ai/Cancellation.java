package chorus.ai;

import io.vertx.core.Future;
import io.vertx.core.Promise;

/**
 * A stop request for one generation ({@code stop_generation}, or the node draining). A
 * provider watches {@link #future()}: when it completes, the provider aborts its upstream
 * request and completes its own future successfully with the text it has so far and
 * {@code finish_reason} {@code "stopped"}.
 */
public final class Cancellation {
  private final Promise<Void> requested = Promise.promise();

  /** Asks the generation to stop; idempotent. */
  public void cancel() {
    requested.tryComplete();
  }

  public boolean isCancelled() {
    return requested.future().isComplete();
  }

  /** Completes when a stop is asked for; never fails. */
  public Future<Void> future() {
    return requested.future();
  }
}
