package chorus.gateway.profile;

import io.vertx.core.Future;
import java.util.function.Supplier;

/**
 * A socket's inbound frames, handled one after another (so a client's messages are stored
 * in the order it sent them), with a bound on how many may wait.
 */
final class FrameQueue {
  private final int maxPending;
  private Future<Void> tail = Future.succeededFuture();
  private int pending;

  FrameQueue(int maxPending) {
    this.maxPending = maxPending;
  }

  /** Queues the frame's handling; false (nothing queued) when maxPending frames already wait. */
  boolean offer(Supplier<Future<Void>> handling) {
    if (pending >= maxPending) {
      return false;
    }
    pending++;
    tail = tail.transform(ignored -> handling.get()).onComplete(ar -> pending--);
    return true;
  }
}
