package chorus.persistence;

import chorus.shared.bus.AppendResult;
import io.micrometer.core.instrument.DistributionSummary;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit for appends, with no timer and so no added latency: at most
 * {@code maxInFlight} append transactions run at once; appends that arrive while they are
 * all busy wait, and the next free one takes up to {@code maxBatch} of them in one
 * transaction. A quiet node therefore commits each message on its own at once, and a busy
 * one commits many per round trip (what bounds messages per second is commits, not rows).
 *
 * <p>Order: a batch keeps arrival order, so messages of one conversation get their seqs in
 * the order they came. A batch whose transaction fails (a client-id twin racing, a lock
 * cycle with another batch, one bad row) stored nothing: each of its appends then runs on
 * its own, so one bad message never fails the others. Used on the persistence verticle's
 * context only.
 */
final class AppendBatcher {
  private static final Logger log = LoggerFactory.getLogger(AppendBatcher.class);

  private record Pending(Tuple params, Promise<AppendResult> result) {}

  private final MessageStore store;
  private final int maxInFlight;
  private final int maxBatch;
  private final DistributionSummary batchSizes;
  private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
  private int inFlight;

  AppendBatcher(MessageStore store, int maxInFlight, int maxBatch, DistributionSummary batchSizes) {
    this.store = store;
    this.maxInFlight = maxInFlight;
    this.maxBatch = maxBatch;
    this.batchSizes = batchSizes;
  }

  Future<AppendResult> append(Tuple params) {
    Promise<AppendResult> result = Promise.promise();
    waiting.add(new Pending(params, result));
    startBatches();
    return result.future();
  }

  private void startBatches() {
    while (inFlight < maxInFlight && !waiting.isEmpty()) {
      List<Pending> batch = new ArrayList<>(Math.min(maxBatch, waiting.size()));
      while (batch.size() < maxBatch && !waiting.isEmpty()) {
        batch.add(waiting.poll());
      }
      inFlight++;
      batchSizes.record(batch.size());
      run(batch).onComplete(done -> {
        inFlight--;
        startBatches();
      });
    }
  }

  private Future<Void> run(List<Pending> batch) {
    if (batch.size() == 1) {
      Pending only = batch.get(0);
      return store.append(only.params()).onComplete(only.result()).mapEmpty();
    }
    if (batch.stream().allMatch(pending -> MessageStore.plain(pending.params()))) {
      return runPlain(batch);
    }
    // every batch locks its conversations in one order (the sort is stable: one conversation's
    // appends keep their order), so two batches never wait on each other in a cycle
    batch.sort(Comparator.comparing(pending -> pending.params().getUUID(MessageStore.CONVERSATION_PARAM)));
    return store.appendAll(batch.stream().map(Pending::params).toList())
        .map(results -> {
          for (int i = 0; i < batch.size(); i++) {
            results.get(i).onComplete(batch.get(i).result());
          }
          return (Void) null;
        })
        .recover(failure -> oneByOne(batch, failure));
  }

  /**
   * Plain messages, the common case, in one statement; those it did not store (a duplicate,
   * a non-member) are then run on their own, which answers why. They wrote nothing, so
   * running them after the others changes no stored order.
   */
  private Future<Void> runPlain(List<Pending> batch) {
    return store.appendPlain(batch.stream().map(Pending::params).toList())
        .compose(results -> {
          List<Pending> unstored = new ArrayList<>();
          for (int i = 0; i < batch.size(); i++) {
            if (results.get(i) != null) {
              batch.get(i).result().complete(results.get(i));
            } else {
              unstored.add(batch.get(i));
            }
          }
          return unstored.isEmpty() ? Future.<Void>succeededFuture() : oneByOne(unstored, null);
        }, failure -> oneByOne(batch, failure));
  }

  private Future<Void> oneByOne(List<Pending> batch, Throwable batchFailure) {
    if (batchFailure != null) {
      log.debug("a batch of {} appends failed as a whole ({}); storing each on its own", batch.size(), batchFailure.toString());
    }
    // one after another, in arrival order, as the batch would have
    Future<Void> chain = Future.succeededFuture();
    for (Pending pending : batch) {
      chain = chain.transform(previous -> store.append(pending.params()).onComplete(pending.result()).<Void>mapEmpty().otherwiseEmpty());
    }
    return chain;
  }
}
