package chorus.bench.load;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/** Runs {@code count} asynchronous tasks with at most {@code concurrency} in flight (connect storms that a server can take). */
public final class Batches {

  /** What a batch gave: the results that succeeded (null where one failed) and the first failure. */
  public record Outcome<T>(List<T> results, int failed, String firstFailure) {}

  private Batches() {
  }

  public static <T> Future<Outcome<T>> run(int count, int concurrency, IntFunction<Future<T>> task) {
    List<T> results = Collections.synchronizedList(new ArrayList<>(Collections.nCopies(count, null)));
    AtomicInteger next = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    String[] firstFailure = {null};
    Promise<Outcome<T>> all = Promise.promise();
    if (count == 0) {
      return Future.succeededFuture(new Outcome<>(results, 0, null));
    }
    Runnable[] launch = new Runnable[1];
    launch[0] = () -> {
      int i = next.getAndIncrement();
      if (i >= count) {
        return;
      }
      Future<T> f;
      try {
        f = task.apply(i);
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      f.onComplete(ar -> {
        if (ar.succeeded()) {
          results.set(i, ar.result());
        } else {
          failed.incrementAndGet();
          synchronized (firstFailure) {
            if (firstFailure[0] == null) {
              firstFailure[0] = String.valueOf(ar.cause().getMessage());
            }
          }
        }
        if (done.incrementAndGet() == count) {
          all.tryComplete(new Outcome<>(results, failed.get(), firstFailure[0]));
        } else {
          launch[0].run();
        }
      });
    };
    for (int i = 0; i < Math.min(concurrency, count); i++) {
      launch[0].run();
    }
    return all.future();
  }
}
