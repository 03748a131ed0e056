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
import chorus.shared.bus.ReplyJobReady;
import chorus.shared.bus.ReplyWork;
import chorus.shared.domain.Role;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.HashSet;
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
 * expired) never leaves a message unanswered. A job is worked only under its lease, and its
 * reply is stored only while the lease is held, which also completes the job.
 */
public final class AiVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(AiVerticle.class);
  private static final int SWEEP_BATCH = 50;

  private AiConfig config;
  private ReplyProvider provider;
  private DeliveryOptions requestOptions;
  private long sweepTimer = -1;
  /** Jobs this verticle is working on now, so a notification and a sweep do not start one twice. */
  private final Set<UUID> working = new HashSet<>();

  @Override
  public Future<?> start() {
    PayloadCodecs.install(vertx);
    try {
      config = AiConfig.from(config());
      provider = ProviderRegistry.create(vertx, config().getJsonObject("ai", new JsonObject()), System.getenv(), new LocalReplyProvider());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    requestOptions = new DeliveryOptions().setSendTimeout(config.requestTimeoutMs());
    return vertx.eventBus().consumer(Addresses.REPLY_JOB_READY, this::onJobReady)
        .completion()
        .onSuccess(v -> {
          // a node that joins takes over at once what is already waiting (pending of any age, expired leases)
          sweep(0);
          sweepTimer = vertx.setPeriodic(config.sweepIntervalMs(), t -> sweep(config.sweepIntervalMs()));
          log.info("ai ready on node '{}' with provider '{}'", config.nodeId(), provider.name());
        });
  }

  @Override
  public Future<?> stop() {
    // jobs in flight keep their lease until it expires; then another node's sweep takes them over
    vertx.cancelTimer(sweepTimer);
    return Future.succeededFuture();
  }

  private void onJobReady(Message<Object> message) {
    if (message.body() instanceof ReplyJobReady ready && ready.jobId() != null) {
      run(ready.jobId());
    } else {
      log.warn("ignored a malformed reply-job notification");
    }
  }

  /**
   * Jobs nobody works on: pending for longer than {@code olderThanMillis} (younger ones are
   * still being handled by the verticle that was told), or with an expired lease.
   */
  private void sweep(long olderThanMillis) {
    vertx.eventBus().<DueReplyJobsResult>request(Addresses.DUE_REPLY_JOBS, new DueReplyJobs(olderThanMillis, SWEEP_BATCH), requestOptions)
        .onSuccess(reply -> reply.body().jobs().forEach(job -> run(job.jobId())))
        // debug: with no persistence role up yet this fails on every tick, and the next tick retries
        .onFailure(e -> log.debug("sweep for due reply jobs failed: {}", e.toString()));
  }

  private void run(UUID jobId) {
    if (!working.add(jobId)) {
      return;
    }
    claim(jobId)
        .compose(this::answer)
        .onSuccess(v -> log.debug("reply job {} answered", jobId))
        .onFailure(failure -> {
          if (Failures.codeOf(failure) == Failures.CONFLICT) {
            log.debug("reply job {} is another node's or finished", jobId);
          } else {
            log.warn("reply job {} not answered: {}", jobId, shortReason(failure));
          }
        })
        .onComplete(ar -> working.remove(jobId));
  }

  private Future<ReplyWork> claim(UUID jobId) {
    ClaimReplyJob claim = new ClaimReplyJob(jobId, config.nodeId(), config.leaseMs(), config.historyMessages());
    return vertx.eventBus().<ReplyWork>request(Addresses.CLAIM_REPLY_JOB, claim, requestOptions).map(Message::body);
  }

  /** Generates and stores the reply of a claimed job; any failure but a lost job gives the job back as failed. */
  private Future<Void> answer(ReplyWork work) {
    long started = System.nanoTime();
    return generate(work)
        .compose(reply -> store(work, reply, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)))
        .recover(failure -> Failures.codeOf(failure) == Failures.CONFLICT ? Future.failedFuture(failure) : giveBack(work, failure));
  }

  /** A provider that throws instead of failing its future still only fails this job. */
  private Future<GeneratedReply> generate(ReplyWork work) {
    try {
      return provider.generate(work, DeltaSink.NONE, new Cancellation());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private Future<Void> store(ReplyWork work, GeneratedReply reply, long generationMillis) {
    Map<String, Object> meta = new HashMap<>(reply.meta());
    meta.putIfAbsent("total_ms", generationMillis);
    meta.put("attempt", work.attempt());
    AppendMessage append = new AppendMessage(work.conversationId(), null, Role.ASSISTANT, work.bot().id().toString(),
        reply.content(), meta, null, false, work.userMessageId(), work.jobId(), config.nodeId());
    return vertx.eventBus().<AppendResult>request(Addresses.APPEND, append, requestOptions).mapEmpty();
  }

  /** Releases the job as failed (kept for a retry) with a short reason; the original failure is what the caller sees. */
  private Future<Void> giveBack(ReplyWork work, Throwable failure) {
    FailReplyJob fail = new FailReplyJob(work.jobId(), config.nodeId(), shortReason(failure));
    return vertx.eventBus().request(Addresses.FAIL_REPLY_JOB, fail, requestOptions)
        .transform(ignored -> Future.failedFuture(failure));
  }

  /**
   * A reason safe to store and log: the kind of failure only. Never a provider's message,
   * which may echo the prompt or a request carrying an API key.
   */
  private String shortReason(Throwable failure) {
    if (failure instanceof ReplyException bus) {
      return "event bus " + bus.failureType().name().toLowerCase(Locale.ROOT) + " (" + bus.failureCode() + ")";
    }
    return "provider " + provider.name() + ": " + failure.getClass().getSimpleName();
  }
}
