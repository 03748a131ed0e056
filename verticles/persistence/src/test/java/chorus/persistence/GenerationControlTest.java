package chorus.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import chorus.shared.Addresses;
import chorus.shared.Failures;
import chorus.shared.bus.AdmitGeneration;
import chorus.shared.bus.Admitted;
import chorus.shared.bus.AppendMessage;
import chorus.shared.bus.ClaimReplyJob;
import chorus.shared.bus.FailReplyJob;
import chorus.shared.bus.RecordUsage;
import chorus.shared.bus.ReleaseReplyJob;
import chorus.shared.bus.RenewReplyJob;
import chorus.shared.bus.ReplyJobReady;
import chorus.shared.bus.ReplyWork;
import chorus.shared.bus.RetryReplyJob;
import chorus.shared.domain.BotKind;
import chorus.shared.domain.Conversation;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What the AI engine asks of persistence around a generation: lease renewal, release, retry, per-user admission and usage. */
class GenerationControlTest extends PersistenceTestBase {
  static final long LEASE = 30_000;

  static UUID job(Conversation conversation) {
    return append(AppendMessage.fromUser(conversation.id(), conversation.ownerId(), "q", UUID.randomUUID().toString())).replyJobId();
  }

  static ReplyWork claim(UUID jobId, String node, long lease) {
    return call(Addresses.CLAIM_REPLY_JOB, new ClaimReplyJob(jobId, node, lease, 5));
  }

  @Test
  void onlyTheHolderRenewsAndALostLeaseCannotBeRenewed() throws Exception {
    Conversation conversation = newConversation(BotKind.LLM);
    UUID jobId = job(conversation);
    claim(jobId, "node-a", 200);
    call(Addresses.RENEW_REPLY_JOB, new RenewReplyJob(jobId, "node-a", LEASE));
    Thread.sleep(300);
    // renewed past its first 200 ms: nobody can take it
    assertEquals(Failures.CONFLICT, failureOf(Addresses.CLAIM_REPLY_JOB, new ClaimReplyJob(jobId, "node-b", LEASE, 5)));
    assertEquals(Failures.CONFLICT, failureOf(Addresses.RENEW_REPLY_JOB, new RenewReplyJob(jobId, "node-b", LEASE)));

    append(reply(conversation, jobId, "node-a", "done"));
    assertEquals(Failures.CONFLICT, failureOf(Addresses.RENEW_REPLY_JOB, new RenewReplyJob(jobId, "node-a", LEASE)),
        "a finished job has no lease to renew");
  }

  @Test
  void aReleasedJobIsPendingAtOnceAndAnnounced() {
    Conversation conversation = newConversation(BotKind.LLM);
    UUID jobId = job(conversation);
    claim(jobId, "node-a", LEASE);
    assertEquals(Failures.CONFLICT, failureOf(Addresses.RELEASE_REPLY_JOB, new ReleaseReplyJob(jobId, "node-b")));
    ReplyJobReady released = call(Addresses.RELEASE_REPLY_JOB, new ReleaseReplyJob(jobId, "node-a"));
    assertEquals(new ReplyJobReady(jobId, conversation.id()), released);
    assertEquals(Failures.CONFLICT, failureOf(Addresses.RENEW_REPLY_JOB, new RenewReplyJob(jobId, "node-a", LEASE)),
        "the releasing node holds nothing any more");
    assertEquals(2, claim(jobId, "node-b", LEASE).attempt());
    append(reply(conversation, jobId, "node-b", "continued"));
    assertEquals(Failures.CONFLICT, failureOf(Addresses.APPEND, reply(conversation, jobId, "node-a", "too late")),
        "one reply per job");
  }

  @Test
  void onlyAFailedJobOfAMembersConversationCanBeRetried() {
    Conversation conversation = newConversation(BotKind.LLM);
    UUID jobId = job(conversation);
    ReplyWork work = claim(jobId, "node-a", LEASE);
    RetryReplyJob retry = new RetryReplyJob(conversation.id(), work.userMessageId(), conversation.ownerId());
    assertEquals(Failures.CONFLICT, failureOf(Addresses.RETRY_REPLY_JOB, retry), "a running job is not retried");
    call(Addresses.FAIL_REPLY_JOB, new FailReplyJob(jobId, "node-a", "AI_UNAVAILABLE"));

    assertEquals(Failures.NOT_FOUND, failureOf(Addresses.RETRY_REPLY_JOB,
        new RetryReplyJob(conversation.id(), work.userMessageId(), newUser())), "not a member");
    assertEquals(Failures.NOT_FOUND, failureOf(Addresses.RETRY_REPLY_JOB,
        new RetryReplyJob(newConversation(BotKind.LLM).id(), work.userMessageId(), conversation.ownerId())), "another conversation");
    ReplyJobReady retried = call(Addresses.RETRY_REPLY_JOB, retry);
    assertEquals(new ReplyJobReady(jobId, conversation.id()), retried);
    assertEquals(Failures.CONFLICT, failureOf(Addresses.RETRY_REPLY_JOB, retry), "already pending");
    finish(conversation, jobId);
  }

  @Test
  void admissionCountsLiveGenerationsAndTodaysTokens() throws Exception {
    Conversation conversation = newConversation(BotKind.LLM);
    String user = conversation.ownerId();
    List<UUID> jobs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      UUID jobId = job(conversation);
      claim(jobId, "node-a", i == 2 ? LEASE : 300);
      jobs.add(jobId);
    }
    Admitted first = call(Addresses.ADMIT_GENERATION, new AdmitGeneration(jobs.get(0), "node-a", user, 2, 100));
    assertNull(first.refusal());
    assertNull(((Admitted) call(Addresses.ADMIT_GENERATION, new AdmitGeneration(jobs.get(1), "node-a", user, 2, 100))).refusal());
    Admitted third = call(Addresses.ADMIT_GENERATION, new AdmitGeneration(jobs.get(2), "node-a", user, 2, 100));
    assertEquals("AI_TOO_MANY_GENERATIONS", third.refusal());
    assertEquals(2, third.running());

    // the first two leases expire (their node died): they stop counting, with nothing to repair
    Thread.sleep(400);
    assertNull(((Admitted) call(Addresses.ADMIT_GENERATION, new AdmitGeneration(jobs.get(2), "node-a", user, 2, 100))).refusal());

    call(Addresses.RECORD_AI_USAGE, new RecordUsage(user, 60));
    call(Addresses.RECORD_AI_USAGE, new RecordUsage(user, 45));
    Admitted overQuota = call(Addresses.ADMIT_GENERATION, new AdmitGeneration(jobs.get(2), "node-a", user, 0, 100));
    assertEquals("AI_QUOTA_EXCEEDED", overQuota.refusal());
    assertEquals(105, overQuota.tokensToday());
    assertNull(((Admitted) call(Addresses.ADMIT_GENERATION, new AdmitGeneration(jobs.get(2), "node-a", user, 0, 0))).refusal(),
        "0 means no quota");
    assertEquals(Failures.CONFLICT, failureOf(Addresses.ADMIT_GENERATION, new AdmitGeneration(jobs.get(2), "node-b", user, 2, 0)),
        "only the lease holder is admitted");
    finish(conversation, jobs.get(0));
    finish(conversation, jobs.get(1));
    append(reply(conversation, jobs.get(2), "node-a", "answered"));
  }
}
