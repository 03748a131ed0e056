package chorus.ai;

import chorus.ai.provider.ProviderRegistry;
import chorus.shared.Addresses;
import chorus.shared.Failures;
import chorus.shared.bus.AppendMessage;
import chorus.shared.bus.AppendResult;
import chorus.shared.bus.ClaimReplyJob;
import chorus.shared.bus.DueReplyJobs;
import chorus.shared.bus.DueReplyJobsResult;
import chorus.shared.bus.FailReplyJob;
import chorus.shared.bus.PayloadCodecs;
import chorus.shared.bus.ReleaseReplyJob;
import chorus.shared.bus.RenewReplyJob;
import chorus.shared.bus.ReplyDelta;
import chorus.shared.bus.ReplyFailed;
import chorus.shared.bus.ReplyJobReady;
import chorus.shared.bus.ReplySnapshot;
import chorus.shared.bus.ReplyStreamEnded;
import chorus.shared.bus.ReplyWork;
import chorus.shared.bus.StopGeneration;
import chorus.shared.bus.StreamSnapshotRequest;
import chorus.shared.domain.Role;
import chorus.shared.metrics.NodeMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AI role: answers reply jobs. A job is committed with its user message; persistence
 * tells one AI verticle (point to point, fire and forget) and every AI verticle also sweeps
 * for jobs nobody is working on, so a lost notification or a dead or slow worker (its lease
 * expired) never leaves a message unanswered. A job is worked only under its lease, renewed
 * while it streams, and its reply is stored only while the lease is held, which also
 * completes the job: one stored reply per user message, whatever dies.
 *
 * <p>While generating, each delta is published on the conversation's topic (every gateway
 * node with sockets there gets it, in order); the text so far is kept here and published as a
 * snapshot when a gateway asks, so a socket joining mid-stream can resume without gap or
 * duplicate. A member's {@code stop_generation} cancels the provider and stores what was said.
 * Before any provider call: the node's own concurrency (bounded queue, then AI_BUSY), and the
 * user's concurrent generations and daily tokens, cluster-wide (in PostgreSQL).
 */
public final class AiVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(AiVerticle.class);
  private static final int SWEEP_BATCH = 50;
  /** A draining node waits at most this long for its leases to be given back; they expire anyway. */
  private static final long RELEASE_TIMEOUT_MS = 2_000;

  private AiConfig config;
  private EngineConfig engine;
  private ReplyProvider provider;
  private DeliveryOptions requestOptions;
  private long sweepTimer = -1;
  private boolean stopping;
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  /** Jobs this verticle is working on or holds in its queue, so a notification and a sweep do not start one twice. */
  private final Set<UUID> working = new HashSet<>();
  /** Announced jobs waiting for a generation slot (bounded by ai.maxQueuedGenerations). */
  private final ArrayDeque<ReplyJobReady> queue = new ArrayDeque<>();
  /** Draining: no new job is taken; the generations under way have the grace period to finish. */
  private boolean draining;
  private MessageConsumer<Object> jobReadyConsumer;
  private int running;
  /** The generations under way here, by job id. */
  private final Map<UUID, Generation> generations = new LinkedHashMap<>();
  /** While a drain waits for the jobs under way (claimed or generating): completed when the last one ends. */
  private Promise<Void> generationsDone;

  private final NodeMetrics metrics;
  private AiMeters meters;

  /** On its own (module tests): meters are kept but nobody scrapes them. */
  public AiVerticle() {
    this(NodeMetrics.unscraped());
  }

  public AiVerticle(NodeMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    PayloadCodecs.install(vertx);
    // gauges read the fields on scrape (another thread): a stale value for one scrape is harmless
    meters = new AiMeters(metrics.registry(), () -> running, queue::size);
    try {
      config = AiConfig.from(config());
      engine = EngineConfig.from(config());
      provider = ProviderRegistry.create(vertx, config().getJsonObject("ai", new JsonObject()), System.getenv(),
          new LocalReplyProvider(vertx, engine.localDeltaDelayMs(), engine.localFailAttempts()));
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    requestOptions = new DeliveryOptions().setSendTimeout(config.requestTimeoutMs());
    var bus = vertx.eventBus();
    jobReadyConsumer = bus.consumer(Addresses.REPLY_JOB_READY, this::onJobReady);
    consumers.add(jobReadyConsumer);
    consumers.add(bus.consumer(Addresses.STOP_GENERATION, this::onStop));
    consumers.add(bus.consumer(Addresses.STREAM_SNAPSHOT, this::onSnapshotRequest));
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList())
        .onSuccess(v -> {
          // a node that joins takes over at once what is already waiting (pending of any age, expired leases)
          sweep(0);
          sweepTimer = vertx.setPeriodic(config.sweepIntervalMs(), t -> sweep(config.sweepIntervalMs()));
          log.info("ai ready on node '{}' with provider '{}' ({} generations at once, {} queued)",
              config.nodeId(), provider.name(), engine.maxConcurrentGenerations(), engine.maxQueuedGenerations());
        });
  }

  /**
   * The node drains: no new job is taken here (this verticle stops listening for announced
   * jobs and sweeping, and passes the jobs waiting in its queue, never claimed, on to the
   * other AI verticles); the generations under way get {@code drain.aiGraceMs} to finish
   * and store their reply. Those still running then are stopped and their jobs released, as
   * {@link #stop} does. Completes when no generation is left here. Callable from any thread.
   */
  public Future<Void> drain() {
    Promise<Void> drained = Promise.promise();
    context.runOnContext(v -> drainHere().onComplete(drained));
    return drained.future();
  }

  private Future<Void> drainHere() {
    if (draining) {
      return Future.succeededFuture();
    }
    draining = true;
    vertx.cancelTimer(sweepTimer);
    return jobReadyConsumer.unregister().otherwiseEmpty().compose(v -> {
      // unregistered first, so that these reach another node's AI verticle
      ReplyJobReady queued;
      while ((queued = queue.poll()) != null) {
        working.remove(queued.jobId());
        vertx.eventBus().send(Addresses.REPLY_JOB_READY, queued);
      }
      if (running == 0) {
        return Future.<Void>succeededFuture();
      }
      log.info("draining: {} generations have {} ms to finish", running, config.drainGraceMs());
      Promise<Void> finished = Promise.promise();
      long deadline = vertx.setTimer(config.drainGraceMs(), t -> finished.tryComplete());
      generationsDone = finished;
      return finished.future().compose(done -> {
        vertx.cancelTimer(deadline);
        generationsDone = null;
        return running == 0 ? Future.<Void>succeededFuture() : stopGenerations().mapEmpty();
      });
    });
  }

  /** Stopping: take no more work, stop every generation here without storing it (see {@link #stopGenerations}). */
  @Override
  public Future<?> stop() {
    draining = true;
    vertx.cancelTimer(sweepTimer);
    List<Future<?>> done = new ArrayList<>();
    consumers.forEach(consumer -> done.add(consumer.unregister().otherwiseEmpty()));
    done.add(stopGenerations());
    return Future.join(done);
  }

  /**
   * Stops every generation here without storing it, and gives its job back as pending so
   * another node continues at once instead of after the lease.
   */
  private Future<?> stopGenerations() {
    stopping = true;
    List<Future<?>> done = new ArrayList<>();
    DeliveryOptions quick = new DeliveryOptions().setSendTimeout(Math.min(RELEASE_TIMEOUT_MS, config.requestTimeoutMs()));
    for (Generation generation : List.copyOf(generations.values())) {
      if (generation.released) {
        continue; // a drain's grace ended, then the verticle stopped: given back once
      }
      generation.released = true;
      generation.cancellation.cancel();
      done.add(vertx.eventBus().request(Addresses.RELEASE_REPLY_JOB, new ReleaseReplyJob(generation.work.jobId(), config.nodeId()), quick)
          .onSuccess(v -> log.info("reply job {} released for another node", generation.work.jobId()))
          .otherwiseEmpty());
    }
    return Future.join(done);
  }

  private void onJobReady(Message<Object> message) {
    if (message.body() instanceof ReplyJobReady ready && ready.jobId() != null) {
      submit(ready, true);
    } else {
      log.warn("ignored a malformed reply-job notification");
    }
  }

  /**
   * Jobs nobody works on: pending for longer than {@code olderThanMillis} (younger ones are
   * still being handled by the verticle that was told), or with an expired lease.
   */
  private void sweep(long olderThanMillis) {
    if (draining || running + queue.size() >= engine.maxConcurrentGenerations() + engine.maxQueuedGenerations()) {
      return; // a full node leaves due jobs to the others (and to its next sweep)
    }
    vertx.eventBus().<DueReplyJobsResult>request(Addresses.DUE_REPLY_JOBS, new DueReplyJobs(olderThanMillis, SWEEP_BATCH), requestOptions)
        .onSuccess(reply -> reply.body().jobs().forEach(job -> submit(job, false)))
        // debug: with no persistence role up yet this fails on every tick, and the next tick retries
        .onFailure(e -> log.debug("sweep for due reply jobs failed: {}", e.toString()));
  }

  /**
   * A free slot runs the job now, else it waits in the bounded queue. Past the queue an
   * announced job is refused with AI_BUSY (and kept, failed, for a retry): never an unbounded
   * backlog. A swept job that does not fit is left to another node or a later sweep.
   */
  private void submit(ReplyJobReady job, boolean announced) {
    UUID jobId = job.jobId();
    if (draining || working.contains(jobId)) {
      return;
    }
    if (running < engine.maxConcurrentGenerations()) {
      working.add(jobId);
      run(jobId);
    } else if (queue.size() < engine.maxQueuedGenerations()) {
      working.add(jobId);
      queue.add(job);
    } else if (announced) {
      refuseBusy(jobId);
    }
  }

  private void run(UUID jobId) {
    running++;
    claim(jobId, engine.maxConcurrentPerUser(), engine.dailyTokenQuota())
        .compose(this::admitAndAnswer)
        .onSuccess(v -> log.debug("reply job {} answered", jobId))
        .onFailure(failure -> {
          if (Failures.codeOf(failure) == Failures.CONFLICT) {
            log.debug("reply job {} is another node's, finished, or lost", jobId);
          } else if (!(failure instanceof Refused)) {
            log.warn("reply job {} not answered: {}", jobId, shortReason(failure));
          }
        })
        .onComplete(ar -> {
          running--;
          working.remove(jobId);
          if (running == 0 && generationsDone != null) {
            generationsDone.tryComplete();
          }
          ReplyJobReady next;
          while (!draining && running < engine.maxConcurrentGenerations() && (next = queue.poll()) != null) {
            run(next.jobId());
          }
        });
  }

  /** Claimed only to be given back failed: the job stays for a retry, the conversation is told why. */
  private void refuseBusy(UUID jobId) {
    claim(jobId, 0, 0)
        .compose(work -> refuse(work, "AI_BUSY", "the assistant is busy; retry in a moment"))
        .onFailure(e -> {
          if (!(e instanceof Refused) && Failures.codeOf(e) != Failures.CONFLICT) {
            log.warn("reply job {} could not be refused as busy: {}", jobId, shortReason(e));
          }
        });
  }

  /** The claim admits the generation under the asking user's limits in the same statement (0 = a limit is off). */
  private Future<ReplyWork> claim(UUID jobId, int maxConcurrentPerUser, long dailyTokenQuota) {
    ClaimReplyJob claim = new ClaimReplyJob(jobId, config.nodeId(), config.leaseMs(), config.historyMessages(),
        maxConcurrentPerUser, dailyTokenQuota);
    return vertx.eventBus().<ReplyWork>request(Addresses.CLAIM_REPLY_JOB, claim, requestOptions).map(Message::body);
  }

  private Future<Void> admitAndAnswer(ReplyWork work) {
    String refusal = work.refusal();
    if (refusal == null) {
      return answer(work, work.askerId());
    }
    return refuse(work, refusal, "AI_QUOTA_EXCEEDED".equals(refusal)
        ? "your daily AI token quota is used up"
        : "you have too many replies being generated; wait for one to finish, then retry");
  }

  /** Gives the job back failed with {@code code} as its reason, then tells the conversation. */
  private Future<Void> refuse(ReplyWork work, String code, String text) {
    FailReplyJob fail = new FailReplyJob(work.jobId(), config.nodeId(), code);
    return vertx.eventBus().request(Addresses.FAIL_REPLY_JOB, fail, requestOptions)
        .onSuccess(v -> tellFailed(work, code, text))
        .transform(ignored -> Future.failedFuture(new Refused(code)));
  }

  private void tellFailed(ReplyWork work, String code, String text) {
    vertx.eventBus().publish(Addresses.conversationTopic(work.conversationId()),
        new ReplyFailed(work.conversationId(), work.jobId(), work.userMessageId(), code, text));
  }

  /** Streams, then stores the reply of a claimed, admitted job. */
  private Future<Void> answer(ReplyWork work, String userId) {
    if (stopping) {
      // claimed while the node stopped its generations: straight back to the pool
      return vertx.eventBus().request(Addresses.RELEASE_REPLY_JOB, new ReleaseReplyJob(work.jobId(), config.nodeId()), requestOptions)
          .transform(ignored -> Future.failedFuture(new Refused("stopping")));
    }
    Generation generation = new Generation(work);
    generations.put(work.jobId(), generation);
    generation.renewTimer = vertx.setPeriodic(Math.max(1, config.leaseMs() / 3), t -> renew(generation));
    return generate(generation)
        .compose(reply -> {
          if (stopping || generation.leaseLost) {
            // the job is another node's now (or will be): what was generated here is not stored
            ended(generation, "lost");
            return Future.<Void>failedFuture(new ReplyException(io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE,
                Failures.CONFLICT, "lease lost"));
          }
          return store(generation, reply, userId);
        }, failure -> {
          if (stopping || generation.leaseLost) {
            ended(generation, "lost");
            return Future.failedFuture(failure);
          }
          return giveBack(work, failure).onFailure(f -> {
            ended(generation, "failed");
            if (Failures.codeOf(f) != Failures.CONFLICT) {
              tellFailed(work, "AI_UNAVAILABLE", "the assistant could not answer; send a retry for this message");
            }
          });
        })
        .onComplete(ar -> {
          vertx.cancelTimer(generation.renewTimer);
          generations.remove(work.jobId());
        });
  }

  /** A provider that throws instead of failing its future still only fails this job. */
  private Future<GeneratedReply> generate(Generation generation) {
    try {
      return provider.generate(generation.work, text -> onDelta(generation, text), generation.cancellation);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private void onDelta(Generation generation, String text) {
    if (text == null || text.isEmpty() || generation.finished) {
      return;
    }
    if (generation.firstTokenNanos == 0) {
      generation.firstTokenNanos = System.nanoTime();
      meters.firstToken(generation.startedNanos, generation.firstTokenNanos);
    }
    generation.index++;
    generation.text.append(text);
    ReplyWork work = generation.work;
    vertx.eventBus().publish(generation.topic,
        new ReplyDelta(work.conversationId(), generation.streamId, work.jobId(), work.userMessageId(), generation.index, text,
            ReplyDelta.nowMicros()));
  }

  /** Every leaseMs/3: a refused renewal (the job is someone else's) stops the generation; nothing will be stored. */
  private void renew(Generation generation) {
    RenewReplyJob renew = new RenewReplyJob(generation.work.jobId(), config.nodeId(), config.leaseMs());
    vertx.eventBus().request(Addresses.RENEW_REPLY_JOB, renew, requestOptions)
        .onSuccess(v -> generation.leaseConfirmedNanos = System.nanoTime())
        .onFailure(e -> {
          if (generation.finished) {
            return; // the reply was stored while the renewal was on its way: the job is done, not lost
          }
          boolean expired = System.nanoTime() - generation.leaseConfirmedNanos > TimeUnit.MILLISECONDS.toNanos(config.leaseMs());
          if (Failures.codeOf(e) == Failures.CONFLICT || expired) {
            log.warn("reply job {} lost its lease ({}); stopping its generation", generation.work.jobId(), shortReason(e));
            generation.leaseLost = true;
            generation.cancellation.cancel();
          }
        });
  }

  private void onStop(Message<Object> message) {
    if (!(message.body() instanceof StopGeneration stop) || stop.conversationId() == null) {
      return;
    }
    for (Generation generation : generations.values()) {
      ReplyWork work = generation.work;
      if (work.conversationId().equals(stop.conversationId())
          && (stop.userMessageId() == null || stop.userMessageId().equals(work.userMessageId()))) {
        log.info("generation for job {} stopped by user {}", work.jobId(), stop.requesterId());
        generation.stoppedByUser = true;
        generation.cancellation.cancel();
      }
    }
  }

  /** A gateway that subscribed mid-stream asks: the text so far goes out on the topic, in line with the deltas. */
  private void onSnapshotRequest(Message<Object> message) {
    if (!(message.body() instanceof StreamSnapshotRequest request)) {
      return;
    }
    for (Generation generation : generations.values()) {
      ReplyWork work = generation.work;
      if (work.conversationId().equals(request.conversationId()) && generation.index > 0 && !generation.finished) {
        vertx.eventBus().publish(generation.topic, new ReplySnapshot(work.conversationId(),
            generation.streamId, work.jobId(), work.userMessageId(), generation.index, generation.text.toString()));
      }
    }
  }

  private Future<Void> store(Generation generation, GeneratedReply reply, String userId) {
    generation.finished = true;
    ReplyWork work = generation.work;
    long now = System.nanoTime();
    Map<String, Object> meta = new HashMap<>(reply.meta());
    meta.putIfAbsent("provider", provider.name());
    meta.put("total_ms", TimeUnit.NANOSECONDS.toMillis(now - generation.startedNanos));
    if (generation.firstTokenNanos != 0) {
      meta.putIfAbsent("first_token_ms", TimeUnit.NANOSECONDS.toMillis(generation.firstTokenNanos - generation.startedNanos));
    }
    boolean stopped = generation.stoppedByUser || "stopped".equals(meta.get("finish_reason"));
    if (stopped) {
      meta.put("finish_reason", "stopped");
      meta.put("stopped", true);
    }
    meta.put("attempt", work.attempt());
    // the tokens are counted in the reply's own statement: once the reply is out the user may
    // send again at once, and that message's admission sees them (without a quota nobody reads them)
    long tokens = engine.dailyTokenQuota() > 0 ? number(meta.get("prompt_tokens")) + number(meta.get("completion_tokens")) : 0;
    AppendMessage append = new AppendMessage(work.conversationId(), null, Role.ASSISTANT, work.bot().id().toString(),
        reply.content(), meta, null, false, work.userMessageId(), work.jobId(), config.nodeId(), null, null,
        tokens > 0 ? userId : null, tokens);
    return vertx.eventBus().<AppendResult>request(Addresses.APPEND, append, requestOptions)
        .onSuccess(stored -> ended(generation, stopped ? "stopped" : "stored"))
        .onFailure(e -> ended(generation, "lost"))
        .mapEmpty();
  }

  private static long number(Object value) {
    return value instanceof Number n ? Math.max(0, n.longValue()) : 0;
  }

  private void ended(Generation generation, String outcome) {
    generation.finished = true;
    meters.generationEnded(generation.startedNanos, outcome);
    ReplyWork work = generation.work;
    if (generation.index > 0) {
      vertx.eventBus().publish(generation.topic,
          new ReplyStreamEnded(work.conversationId(), generation.streamId, work.userMessageId(), outcome));
    }
  }

  /** Releases the job as failed (kept for a retry) with a short reason; the original failure is what the caller sees. */
  private Future<Void> giveBack(ReplyWork work, Throwable failure) {
    FailReplyJob fail = new FailReplyJob(work.jobId(), config.nodeId(), shortReason(failure));
    return vertx.eventBus().request(Addresses.FAIL_REPLY_JOB, fail, requestOptions)
        .transform(ar -> Future.failedFuture(ar.failed() && Failures.codeOf(ar.cause()) == Failures.CONFLICT ? ar.cause() : failure));
  }

  /**
   * A reason safe to store and log: the kind of failure only. Never a provider's message,
   * which may echo the prompt or a request carrying an API key.
   */
  private String shortReason(Throwable failure) {
    if (failure instanceof ReplyException bus) {
      return "event bus " + bus.failureType().name().toLowerCase(Locale.ROOT) + " (" + bus.failureCode() + ")";
    }
    if (failure instanceof ProviderFailure providerFailure) {
      return "provider " + provider.name() + ": " + providerFailure.kind();
    }
    return "provider " + provider.name() + ": " + failure.getClass().getSimpleName();
  }

  /** One generation attempt of a job on this node: its stream and what it has said so far. */
  private static final class Generation {
    final ReplyWork work;
    /** The conversation's topic, built once: every delta is published on it. */
    final String topic;
    final UUID streamId = UUID.randomUUID();
    final Cancellation cancellation = new Cancellation();
    final StringBuilder text = new StringBuilder();
    final long startedNanos = System.nanoTime();
    long leaseConfirmedNanos = startedNanos;
    long firstTokenNanos;
    int index;
    long renewTimer = -1;
    boolean leaseLost;
    boolean stoppedByUser;
    boolean finished;
    boolean released;

    Generation(ReplyWork work) {
      this.work = work;
      this.topic = Addresses.conversationTopic(work.conversationId());
    }
  }

  /** A job refused before any provider call (busy, limits): the conversation was told, nothing to log. */
  private static final class Refused extends RuntimeException {
    Refused(String code) {
      super(code, null, false, false);
    }
  }
}
