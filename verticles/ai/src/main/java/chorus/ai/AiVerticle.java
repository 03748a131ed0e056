package chorus.ai;

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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AI role: answers reply jobs. A job is created in the same commit as its user
 * message; this verticle is told (point to point) and also sweeps for jobs nobody works
 * on, so a lost notification or a dead worker never leaves a message unanswered. A job is
 * worked only under its lease, and its reply is stored only while the lease is held.
 */
public final class AiVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(AiVerticle.class);
  private static final int SWEEP_BATCH = 50;

  private AiConfig config;
  private ReplyProvider provider;
  private DeliveryOptions requestOptions;
  private long sweepTimer = -1;
  /** Jobs this verticle is working on now, so a sweep does not start them twice. */
  private final Set<UUID> working = new HashSet<>();

  @Override
  public Future<?> start() {
    PayloadCodecs.install(vertx);
    try {
      config = AiConfig.from(config());
      provider = providerNamed(config.provider());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    requestOptions = new DeliveryOptions().setSendTimeout(config.requestTimeoutMs());
    return vertx.eventBus().<ReplyJobReady>consumer(Addresses.REPLY_JOB_READY, message -> run(message.body().jobId()))
        .completion()
        .onSuccess(v -> {
          // a node that joins takes over what is waiting now (pending of any age, expired leases)
          sweep(0);
          sweepTimer = vertx.setPeriodic(config.sweepIntervalMs(), t -> sweep(config.sweepIntervalMs()));
          log.info("ai ready on node '{}' with provider '{}'", config.nodeId(), provider.name());
        });
  }

  private static ReplyProvider providerNamed(String name) {
    if (LocalReplyProvider.NAME.equals(name)) {
      return new LocalReplyProvider();
    }
    throw new IllegalArgumentException("unknown ai.provider '" + name + "'; available: " + LocalReplyProvider.NAME);
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(sweepTimer);
    return Future.succeededFuture();
  }

  /** Jobs pending for longer than {@code olderThanMillis} (the notified worker may still be on them), or with an expired lease. */
  private void sweep(long olderThanMillis) {
    vertx.eventBus().<DueReplyJobsResult>request(Addresses.DUE_REPLY_JOBS, new DueReplyJobs(olderThanMillis, SWEEP_BATCH), requestOptions)
        .onSuccess(reply -> reply.body().jobs().forEach(job -> run(job.jobId())))
        .onFailure(e -> log.debug("sweep failed: {}", e.toString()));
  }

  private void run(UUID jobId) {
    if (!working.add(jobId)) {
      return;
    }
    claim(jobId)
        .compose(work -> provider.generate(work)
            .compose(reply -> store(work, reply))
            .recover(failure -> giveBack(work, failure)))
        .onFailure(failure -> {
          if (Failures.codeOf(failure) == Failures.CONFLICT) {
            log.debug("reply job {} is someone else's or finished", jobId);
          } else {
            log.warn("reply job {} not done: {}", jobId, failure.toString());
          }
        })
        .onComplete(ar -> working.remove(jobId));
  }

  private Future<ReplyWork> claim(UUID jobId) {
    ClaimReplyJob claim = new ClaimReplyJob(jobId, config.nodeId(), config.leaseMs(), config.historyMessages());
    return vertx.eventBus().<ReplyWork>request(Addresses.CLAIM_REPLY_JOB, claim, requestOptions).map(Message::body);
  }

  private Future<Void> store(ReplyWork work, GeneratedReply reply) {
    Map<String, Object> meta = new LinkedHashMap<>(reply.meta());
    meta.put("attempt", work.attempt());
    AppendMessage append = new AppendMessage(work.conversationId(), null, Role.ASSISTANT, work.bot().id().toString(),
        reply.content(), meta, null, false, work.userMessageId(), work.jobId(), config.nodeId());
    return vertx.eventBus().<AppendResult>request(Addresses.APPEND, append, requestOptions).mapEmpty();
  }

  /** The provider failed: release the job as failed (kept for a retry), with a short reason and nothing secret. */
  private Future<Void> giveBack(ReplyWork work, Throwable failure) {
    if (Failures.codeOf(failure) == Failures.CONFLICT) {
      return Future.failedFuture(failure);
    }
    String reason = failure.getClass().getSimpleName();
    return vertx.eventBus().request(Addresses.FAIL_REPLY_JOB, new FailReplyJob(work.jobId(), config.nodeId(), reason), requestOptions)
        .transform(ignored -> Future.failedFuture(failure));
  }
}
