package chorus.persistence;

import static chorus.persistence.RequestFailure.require;

import chorus.shared.bus.ClaimReplyJob;
import chorus.shared.bus.DueReplyJobs;
import chorus.shared.bus.DueReplyJobsResult;
import chorus.shared.bus.FailReplyJob;
import chorus.shared.bus.Ping;
import chorus.shared.bus.ReleaseReplyJob;
import chorus.shared.bus.RenewReplyJob;
import chorus.shared.bus.RetryReplyJob;
import chorus.shared.bus.ReplyJobReady;
import chorus.shared.bus.ReplyWork;
import chorus.shared.domain.StoredMessage;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * Reply jobs: leases that let exactly one node answer a user message, and let another
 * node take over when the holder dies (its lease expires). Completing a job is part of
 * the reply's append ({@link Sql#APPEND}), not here.
 */
final class ReplyJobStore {
  /** A sweep never asks for more than this many jobs at once. */
  static final int MAX_DUE_JOBS = 1000;

  private final Pool pool;
  private final PersistenceConfig config;

  ReplyJobStore(Pool pool, PersistenceConfig config) {
    this.pool = pool;
    this.config = config;
  }

  Future<ReplyWork> claim(ClaimReplyJob request) {
    require(request.jobId(), "jobId");
    require(request.nodeId(), "nodeId");
    if (request.leaseMillis() <= 0) {
      throw RequestFailure.invalid("leaseMillis must be positive");
    }
    // at least the user message itself, at most one history page
    int historyLimit = Math.max(1, Math.min(request.historyLimit(), config.historyPageMax()));
    Tuple params = Tuple.of(request.jobId(), request.nodeId(), request.leaseMillis(), historyLimit,
        Math.max(0, request.maxConcurrentPerUser()), Math.max(0L, request.dailyTokenQuota()));
    return pool.preparedQuery(Sql.CLAIM_REPLY_JOB).execute(params).map(rows -> {
      if (rows.size() == 0) {
        throw RequestFailure.conflict("the reply job is finished, leased to another node, or missing");
      }
      Row first = null;
      List<StoredMessage> history = new ArrayList<>(rows.size());
      for (Row row : rows) {
        first = first == null ? row : first;
        if (Rows.hasMessage(row, "m_")) {
          history.add(Rows.message(row, "m_"));
        }
      }
      return new ReplyWork(first.getUUID("job_id"), first.getUUID("job_conversation_id"),
          first.getUUID("job_user_message_id"), first.getInteger("job_attempts"), Rows.bot(first, "b_"),
          List.copyOf(history), first.getString("job_asker_id"), first.getString("job_refusal"));
    });
  }

  Future<DueReplyJobsResult> due(DueReplyJobs request) {
    int max = Math.max(1, Math.min(request.max(), MAX_DUE_JOBS));
    long olderThan = Math.max(0L, request.olderThanMillis());
    return pool.preparedQuery(Sql.DUE_REPLY_JOBS).execute(Tuple.of(olderThan, max)).map(rows -> {
      List<ReplyJobReady> jobs = new ArrayList<>(rows.size());
      rows.forEach(row -> jobs.add(Rows.replyJob(row)));
      return new DueReplyJobsResult(List.copyOf(jobs));
    });
  }

  Future<Ping> fail(FailReplyJob request) {
    require(request.jobId(), "jobId");
    require(request.nodeId(), "nodeId");
    return pool.preparedQuery(Sql.FAIL_REPLY_JOB).execute(Tuple.of(request.jobId(), request.nodeId(), request.error()))
        .map(rows -> {
          if (rows.size() == 0) {
            throw RequestFailure.conflict("the reply job is not leased to this node");
          }
          return new Ping();
        });
  }

  Future<Ping> renew(RenewReplyJob request) {
    require(request.jobId(), "jobId");
    require(request.nodeId(), "nodeId");
    if (request.leaseMillis() <= 0) {
      throw RequestFailure.invalid("leaseMillis must be positive");
    }
    return pool.preparedQuery(Sql.RENEW_REPLY_JOB).execute(Tuple.of(request.jobId(), request.nodeId(), request.leaseMillis()))
        .map(rows -> {
          if (rows.size() == 0) {
            throw RequestFailure.conflict("the reply job is not leased to this node");
          }
          return new Ping();
        });
  }

  /** The released job, to announce; CONFLICT when it was not this node's any more. */
  Future<ReplyJobReady> release(ReleaseReplyJob request) {
    require(request.jobId(), "jobId");
    require(request.nodeId(), "nodeId");
    return pool.preparedQuery(Sql.RELEASE_REPLY_JOB).execute(Tuple.of(request.jobId(), request.nodeId())).map(rows -> {
      if (rows.size() == 0) {
        throw RequestFailure.conflict("the reply job is not leased to this node");
      }
      return Rows.replyJob(rows.iterator().next());
    });
  }

  /** The job made pending again, to announce; NOT_FOUND (not the requester's) or CONFLICT (not failed). */
  Future<ReplyJobReady> retry(RetryReplyJob request) {
    require(request.conversationId(), "conversationId");
    require(request.userMessageId(), "userMessageId");
    require(request.requesterId(), "requesterId");
    return pool.preparedQuery(Sql.RETRY_REPLY_JOB)
        .execute(Tuple.of(request.conversationId(), request.userMessageId(), request.requesterId()))
        .map(rows -> {
          if (rows.size() == 0) {
            throw RequestFailure.notFound("no reply job for that message in a conversation of yours");
          }
          Row row = rows.iterator().next();
          if (row.getUUID("retried_id") == null) {
            throw RequestFailure.conflict("the reply is not failed: it is being generated or was stored");
          }
          return new ReplyJobReady(row.getUUID("id"), row.getUUID("conversation_id"));
        });
  }
}
