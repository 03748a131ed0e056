package chorus.persistence;

import chorus.shared.bus.AppendResult;
import io.micrometer.core.instrument.DistributionSummary;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit for appends, with no timer and so no added latency: at most
 * {@code maxInFlight} append transactions run at once; appends that arrive while they are
 * all busy wait, and the next free one takes up to {@code maxBatch} of them in one
 * transaction. A quiet node therefore commits each message on its own at once, and a busy
 * one commits many per round trip (what bounds messages per second is commits, not rows).
 *
 * <p>One conversation is written by one batch at a time: appends for a conversation that a
 * batch in flight is writing wait for the next batch instead of starting a transaction that
 * would only wait on the conversation's row lock (holding a connection meanwhile), so a busy
 * conversation gets few large batches rather than many blocked small ones.
 *
 * <p>Order: a batch keeps arrival order within each conversation, so messages of one
 * conversation get their seqs in the order they came. A batch whose transaction fails (a client-id twin racing, a lock
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
  /** Waiting appends by conversation, each in arrival order. */
  private final Map<UUID, ArrayDeque<Pending>> waiting = new HashMap<>();
  /** Conversations with appends waiting and no batch writing them, in the order they became so. */
  private final ArrayDeque<UUID> ready = new ArrayDeque<>();
  /** Conversations a batch in flight writes to. */
  private final Set<UUID> writing = new HashSet<>();
  private int inFlight;

  AppendBatcher(MessageStore store, int maxInFlight, int maxBatch, DistributionSummary batchSizes) {
    this.store = store;
    this.maxInFlight = maxInFlight;
    this.maxBatch = maxBatch;
    this.batchSizes = batchSizes;
  }

  Future<AppendResult> append(Tuple params) {
    Promise<AppendResult> result = Promise.promise();
    UUID conversation = conversationOf(params);
    ArrayDeque<Pending> queue = waiting.computeIfAbsent(conversation, c -> new ArrayDeque<>());
    if (queue.isEmpty() && !writing.contains(conversation)) {
      ready.add(conversation);
    }
    queue.add(new Pending(params, result));
    startBatches();
    return result.future();
  }

  private void startBatches() {
    while (inFlight < maxInFlight && !ready.isEmpty()) {
      List<Pending> batch = new ArrayList<>();
      Set<UUID> conversations = new HashSet<>();
      while (batch.size() < maxBatch && !ready.isEmpty()) {
        UUID conversation = ready.poll();
        ArrayDeque<Pending> queue = waiting.get(conversation);
        while (batch.size() < maxBatch && !queue.isEmpty()) {
          batch.add(queue.poll());
        }
        conversations.add(conversation);
        if (queue.isEmpty()) {
          waiting.remove(conversation);
        } // else the batch is full: the rest of this conversation is ready again when the batch ends
      }
      writing.addAll(conversations);
      inFlight++;
      batchSizes.record(batch.size());
      run(batch).onComplete(done -> {
        inFlight--;
        for (UUID conversation : conversations) {
          writing.remove(conversation);
          ArrayDeque<Pending> queue = waiting.get(conversation);
          if (queue != null && !queue.isEmpty()) {
            ready.add(conversation);
          }
        }
        startBatches();
      });
    }
  }

  private static UUID conversationOf(Tuple params) {
    return params.getUUID(MessageStore.CONVERSATION_PARAM);
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
    batch.sort(Comparator.comparing(pending -> conversationOf(pending.params())));
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
