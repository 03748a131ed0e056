package chorus.gateway.feed;

import chorus.gateway.GatewayMeters;
import chorus.shared.Addresses;
import chorus.shared.bus.HistoryPage;
import chorus.shared.bus.HistoryRequest;
import chorus.shared.bus.LastSeqs;
import chorus.shared.bus.LastSeqsRequest;
import chorus.shared.bus.MembershipChanged;
import chorus.shared.bus.MessageAppended;
import chorus.shared.bus.ReplyDelta;
import chorus.shared.bus.ReplyFailed;
import chorus.shared.bus.ReplySnapshot;
import chorus.shared.bus.ReplyStreamEnded;
import chorus.shared.bus.StreamSnapshotRequest;
import chorus.shared.bus.TypingChanged;
import chorus.shared.domain.StoredMessage;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import chorus.gateway.RetriedRequests;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's subscriptions to conversation topics: ONE event-bus consumer per
 * conversation that has at least one socket here, shared by all those sockets. The
 * cluster-wide cost (a Hazelcast write) is paid when a node gains its first socket on a
 * conversation and when it loses its last, never per socket.
 *
 * <p>Each feed turns what arrives (bus events, and this node's own append results, in any
 * order, possibly twice) into the conversation's messages in seq order, each once: later
 * seqs wait for the missing ones, which are read from the database if they do not arrive
 * within {@code gapFillDelayMs}. All state is touched only on the owning verticle's event loop.
 *
 * <p>A publish on the event bus is delivered at most once: if the event of a conversation's
 * newest message is lost, no later message reveals the gap. Every {@code tailCheckMs} the
 * node therefore asks, in ONE query for all its conversations, for their last seq, and
 * catches up any feed that is behind.
 *
 * <p>A feed also follows the replies being generated in its conversation: deltas are put in
 * index order per stream (a gap, or a feed created mid-stream, asks the generating AI
 * verticle for a snapshot, which travels the same way as the deltas), and each listener is
 * given exactly the text it lacks, once, so sockets that join mid-stream resume seamlessly.
 */
public final class ConversationFeeds {
  private static final Logger log = LoggerFactory.getLogger(ConversationFeeds.class);

  private final Vertx vertx;
  private final int pageSize;
  private final long gapFillDelayMs;
  private final long subscriptionSettleMs;
  /** Reads only (history, last seqs): safe to try again on another node. */
  private final RetriedRequests reads;
  private final Map<UUID, Feed> feeds = new HashMap<>();
  private final long tailCheckTimer;
  private final GatewayMeters meters;

  public ConversationFeeds(Vertx vertx, int pageSize, long gapFillDelayMs, long subscriptionSettleMs, long tailCheckMs, RetriedRequests reads,
      GatewayMeters meters) {
    this.vertx = vertx;
    this.meters = meters;
    this.pageSize = pageSize;
    this.gapFillDelayMs = gapFillDelayMs;
    this.subscriptionSettleMs = subscriptionSettleMs;
    this.reads = reads;
    this.tailCheckTimer = tailCheckMs > 0 ? vertx.setPeriodic(tailCheckMs, t -> checkTails()) : -1;
  }

  private void checkTails() {
    if (feeds.isEmpty()) {
      return;
    }
    List<UUID> ids = List.copyOf(feeds.keySet());
    reads.<LastSeqs>ask(Addresses.LAST_SEQS, new LastSeqsRequest(ids))
        .onSuccess(reply -> reply.lastSeqByConversation().forEach((id, lastSeq) -> {
          Feed feed = feeds.get(id);
          if (feed != null && lastSeq > feed.deliveredSeq) {
            log.debug("conversation {} is at {} but this node delivered {}: catching up", id, lastSeq, feed.deliveredSeq);
            feed.catchUp();
          }
        }))
        .onFailure(e -> log.debug("tail check failed: {}", e.toString()));
  }

  /**
   * Adds a listener and brings it up to date ({@code committedSeq}: a seq known to be
   * committed, the conversation's last_seq as loaded when the socket joined): everything committed after its cursor is
   * replayed from the database, then it receives the live stream, with no gap or duplicate
   * at the seam. The future completes once the listener is live.
   */
  public Future<Void> attach(UUID conversationId, long committedSeq, FeedListener listener) {
    Feed existing = feeds.get(conversationId);
    // a new feed starts at what is known committed; a listener behind it is replayed
    Feed feed = existing != null ? existing : new Feed(conversationId, Math.max(committedSeq, listener.cursor()));
    feeds.put(conversationId, feed);
    feed.listeners.add(listener);
    Future<Void> caughtUp;
    if (listener.cursor() >= feed.deliveredSeq) {
      // the feed is at or behind this listener: everything it delivers from now on is new to it
      listener.goLive();
      feed.streams.values().forEach(listener::streamAdvanced);
      caughtUp = feed.subscribed.future();
    } else {
      caughtUp = feed.subscribed.future().compose(v -> replay(feed, listener)).onSuccess(v -> {
        listener.goLive();
        feed.streams.values().forEach(listener::streamAdvanced);
      });
    }
    return caughtUp.onFailure(e -> detach(conversationId, listener));
  }

  public void detach(UUID conversationId, FeedListener listener) {
    Feed feed = feeds.get(conversationId);
    if (feed != null && feed.listeners.remove(listener) && feed.listeners.isEmpty()) {
      feeds.remove(conversationId);
      feed.close();
    }
  }

  /** Publishes a typing change to every node holding sockets on the conversation (this one included). */
  public void publishTyping(TypingChanged typing) {
    vertx.eventBus().publish(Addresses.conversationTopic(typing.conversationId()), typing);
  }

  /** Publishes a call signal to every node holding sockets on the conversation (this one included); never stored. */
  public void publishSignal(chorus.shared.bus.CallSignal signal) {
    vertx.eventBus().publish(Addresses.conversationTopic(signal.conversationId()), signal);
  }

  /** A message this node knows was committed (an append result): delivered in order like a bus event. */
  public void offer(StoredMessage message) {
    Feed feed = feeds.get(message.conversationId());
    if (feed != null) {
      feed.offer(message);
    }
  }

  /** Number of conversations this node is subscribed to. */
  public int subscriptions() {
    return feeds.size();
  }

  public Future<Void> closeAll() {
    vertx.cancelTimer(tailCheckTimer);
    feeds.values().forEach(Feed::close);
    feeds.clear();
    return Future.succeededFuture();
  }

  private Future<Void> replay(Feed feed, FeedListener listener) {
    if (listener.cursor() >= feed.deliveredSeq) {
      return Future.succeededFuture();
    }
    return history(feed.conversationId, listener.cursor()).compose(page -> {
      page.messages().forEach(listener::emit);
      if (page.hasMore() && !page.messages().isEmpty()) {
        return replay(feed, listener);
      }
      return Future.succeededFuture();
    });
  }

  private Future<HistoryPage> history(UUID conversationId, long afterSeq) {
    return reads.ask(Addresses.HISTORY, new HistoryRequest(conversationId, null, afterSeq, null, pageSize));
  }

  private static Set<UUID> boundedSet() {
    return java.util.Collections.newSetFromMap(new java.util.LinkedHashMap<>() {
      @Override
      protected boolean removeEldestEntry(Map.Entry<UUID, Boolean> eldest) {
        return size() > 256;
      }
    });
  }

  private final class Feed {
    final UUID conversationId;
    final Set<FeedListener> listeners = new LinkedHashSet<>();
    final TreeMap<Long, StoredMessage> waiting = new TreeMap<>();
    /** Replies being generated, by stream id. */
    final Map<UUID, ReplyStream> streams = new java.util.LinkedHashMap<>();
    /** Streams that ended and user messages already answered: late deltas of theirs are dropped. */
    final Set<UUID> finishedStreams = boundedSet();
    final Set<UUID> answered = boundedSet();
    final Promise<Void> subscribed = Promise.promise();
    final MessageConsumer<Object> consumer;
    long deliveredSeq;
    long gapTimer = -1;
    long settleTimer = -1;
    boolean closed;

    Feed(UUID conversationId, long startSeq) {
      this.conversationId = conversationId;
      this.deliveredSeq = startSeq;
      this.consumer = vertx.eventBus().consumer(Addresses.conversationTopic(conversationId), this::onEvent);
      // Messages committed after the socket's context was loaded but before this node's
      // registration reached every publisher would go unseen until a later message revealed
      // the gap. Once the registration has settled cluster-wide, read what was committed
      // after our start once, so no such message waits for a successor to be noticed.
      consumer.completion().onComplete(ar -> {
        if (ar.succeeded()) {
          subscribed.tryComplete();
          askSnapshot();
          settleTimer = vertx.setTimer(subscriptionSettleMs, t -> {
            catchUp();
            // a publisher that had not seen our subscription yet may have sent deltas we missed
            askSnapshot();
          });
        } else {
          log.warn("subscription to conversation {} failed: {}", conversationId, ar.cause().toString());
          subscribed.tryFail(ar.cause());
        }
      });
    }

    void onEvent(Message<Object> event) {
      Object body = event.body();
      if (body instanceof MessageAppended appended) {
        meters.received(appended);
        offer(appended.message());
      } else if (body instanceof TypingChanged typing) {
        forEachListener(listener -> listener.onTyping(typing));
      } else if (body instanceof ReplyDelta delta) {
        onDelta(delta);
      } else if (body instanceof ReplySnapshot snapshot) {
        onSnapshot(snapshot);
      } else if (body instanceof ReplyStreamEnded ended) {
        endStream(ended.streamId());
      } else if (body instanceof ReplyFailed failed) {
        endStreamsReplyingTo(failed.userMessageId());
        forEachListener(listener -> listener.onConversationEvent(failed));
      } else if (body instanceof MembershipChanged change && !change.member()) {
        forEachListener(listener -> listener.onMemberRemoved(change.userId()));
      } else if (body != null) {
        forEachListener(listener -> listener.onConversationEvent(body));
      }
    }

    private void forEachListener(java.util.function.Consumer<FeedListener> action) {
      for (FeedListener listener : listeners.toArray(FeedListener[]::new)) {
        action.accept(listener);
      }
    }

    void offer(StoredMessage message) {
      long seq = message.seq();
      if (closed || seq <= deliveredSeq) {
        return;
      }
      if (seq > deliveredSeq + 1) {
        waiting.put(seq, message);
        scheduleGapFill();
        return;
      }
      deliver(message);
      StoredMessage next;
      while ((next = waiting.remove(deliveredSeq + 1)) != null) {
        deliver(next);
      }
      waiting.headMap(deliveredSeq, true).clear();
    }

    private void deliver(StoredMessage message) {
      deliveredSeq = message.seq();
      meters.dispatched(message);
      forEachListener(listener -> listener.accept(message));
      if (message.replyToMessageId() != null) {
        // the stored reply is the stream's end: its late deltas are dropped
        answered.add(message.replyToMessageId());
        endStreamsReplyingTo(message.replyToMessageId());
      }
    }

    void askSnapshot() {
      if (!closed) {
        vertx.eventBus().publish(Addresses.STREAM_SNAPSHOT, new StreamSnapshotRequest(conversationId));
      }
    }

    private ReplyStream stream(UUID streamId, UUID jobId, UUID replyTo) {
      if (closed) {
        return null;
      }
      ReplyStream stream = streams.get(streamId);
      if (stream != null) {
        // under way: ending it or storing its reply removes it from streams, so neither set can
        // name it; one lookup per delta instead of three (the AI node's profile, findings 54)
        return stream;
      }
      if (finishedStreams.contains(streamId) || answered.contains(replyTo)) {
        return null;
      }
      // a new attempt at the same reply (the previous node died) replaces the old stream
      endStreamsReplyingTo(replyTo);
      stream = new ReplyStream(streamId, jobId, replyTo);
      streams.put(streamId, stream);
      return stream;
    }

    void onDelta(ReplyDelta delta) {
      ReplyStream stream = stream(delta.streamId(), delta.jobId(), delta.replyToMessageId());
      if (stream == null || delta.index() <= stream.lastIndex()) {
        return;
      }
      if (delta.index() > stream.lastIndex() + 1) {
        // a gap: this feed came in mid-stream or lost a delta; the snapshot fills it
        stream.pending.put(delta.index(), delta.text());
        long now = System.nanoTime();
        if (now - stream.snapshotAskedNanos > java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(gapFillDelayMs)) {
          stream.snapshotAskedNanos = now;
          askSnapshot();
        }
        return;
      }
      stream.append(delta.index(), delta.text());
      meters.deltaDispatched(delta.readAtMicros());
      drainPending(stream);
    }

    void onSnapshot(ReplySnapshot snapshot) {
      ReplyStream stream = stream(snapshot.streamId(), snapshot.jobId(), snapshot.replyToMessageId());
      if (stream == null || snapshot.lastIndex() <= stream.lastIndex() || snapshot.text().length() < stream.text().length()) {
        return;
      }
      stream.append(snapshot.lastIndex(), snapshot.text().substring(stream.text().length()));
      drainPending(stream);
    }

    private void drainPending(ReplyStream stream) {
      forEachListener(listener -> listener.streamAdvanced(stream));
      String next;
      while ((next = stream.pending.remove(stream.lastIndex() + 1)) != null) {
        stream.append(stream.lastIndex() + 1, next);
        forEachListener(listener -> listener.streamAdvanced(stream));
      }
      stream.pending.headMap(stream.lastIndex(), true).clear();
    }

    void endStream(UUID streamId) {
      finishedStreams.add(streamId);
      ReplyStream stream = streams.remove(streamId);
      if (stream != null) {
        forEachListener(listener -> listener.streamEnded(stream.streamId()));
      }
    }

    void endStreamsReplyingTo(UUID userMessageId) {
      for (ReplyStream stream : List.copyOf(streams.values())) {
        if (stream.replyToMessageId().equals(userMessageId)) {
          endStream(stream.streamId());
        }
      }
    }

    private void scheduleGapFill() {
      if (gapTimer == -1) {
        gapTimer = vertx.setTimer(gapFillDelayMs, t -> {
          gapTimer = -1;
          if (!waiting.isEmpty() && waiting.firstKey() > deliveredSeq + 1) {
            catchUp();
          }
        });
      }
    }

    /** Reads what was committed after deliveredSeq and offers it, page by page. */
    Future<Void> catchUp() {
      if (closed) {
        return Future.succeededFuture();
      }
      return history(conversationId, deliveredSeq).compose(page -> {
        page.messages().forEach(this::offer);
        if (page.hasMore() && !page.messages().isEmpty() && !closed) {
          return catchUp();
        }
        if (!waiting.isEmpty()) {
          scheduleGapFill();
        }
        return Future.<Void>succeededFuture();
      }).recover(e -> {
        log.warn("catching up conversation {} failed, retrying: {}", conversationId, e.toString());
        if (!waiting.isEmpty()) {
          scheduleGapFill();
        }
        return Future.failedFuture(e);
      });
    }

    void close() {
      closed = true;
      vertx.cancelTimer(gapTimer);
      vertx.cancelTimer(settleTimer);
      consumer.unregister();
      subscribed.tryFail("feed closed");
    }
  }
}
