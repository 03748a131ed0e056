package chorus.bench.load;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/**
 * Open-loop sending at a fixed rate: message i is due at {@code start + i / rate} whatever
 * happened to the earlier ones, and its latency is measured from that intended time. A
 * timer tick every millisecond sends everything that has come due, so a slow server (or
 * a late tick) shows as latency, never as a lower sending rate.
 */
public final class OpenLoop {

  /** Sends message {@code index}, due at {@code intendedNanos} (System.nanoTime clock). */
  @FunctionalInterface
  public interface Sender {
    void send(long index, long intendedNanos);
  }

  private OpenLoop() {
  }

  /** How many messages are due {@code elapsedNanos} after the start: message 0 is due at once. */
  public static long dueCount(long elapsedNanos, double ratePerSecond, long total) {
    if (elapsedNanos < 0) {
      return 0;
    }
    long due = (long) Math.floor(elapsedNanos * ratePerSecond / 1e9) + 1;
    return Math.min(due, total);
  }

  /** When message {@code index} is due. */
  public static long intendedNanos(long startNanos, long index, double ratePerSecond) {
    return startNanos + Math.round(index * 1e9 / ratePerSecond);
  }

  /** Messages in a run of {@code durationMs} at {@code ratePerSecond}. */
  public static long total(double ratePerSecond, long durationMs) {
    return Math.max(1, Math.round(ratePerSecond * durationMs / 1000.0));
  }

  /** Runs the schedule; completes with the number of messages handed to the sender. */
  public static Future<Long> run(Vertx vertx, double ratePerSecond, long durationMs, Sender sender) {
    return run(vertx, ratePerSecond, durationMs, Promise.<Void>promise().future(), sender);
  }

  /**
   * Runs the schedule until {@code durationMs} has passed or {@code stop} completes, whichever
   * comes first (a workload whose length depends on what it waits for); completes with the
   * number of messages handed to the sender.
   */
  public static Future<Long> run(Vertx vertx, double ratePerSecond, long durationMs, Future<?> stop, Sender sender) {
    long total = total(ratePerSecond, durationMs);
    long start = System.nanoTime();
    Promise<Long> done = Promise.promise();
    long[] next = {0};
    Runnable tick = () -> {
      long due = dueCount(System.nanoTime() - start, ratePerSecond, total);
      while (next[0] < due) {
        long i = next[0]++;
        sender.send(i, intendedNanos(start, i, ratePerSecond));
      }
    };
    tick.run();
    vertx.setPeriodic(1, id -> {
      if (stop.isComplete()) {
        vertx.cancelTimer(id);
        done.tryComplete(next[0]);
        return;
      }
      tick.run();
      if (next[0] >= total) {
        vertx.cancelTimer(id);
        done.tryComplete(total);
      }
    });
    return done.future();
  }
}
