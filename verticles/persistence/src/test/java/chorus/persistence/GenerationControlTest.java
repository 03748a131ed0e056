package chorus.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import chorus.shared.Addresses;
import chorus.shared.Failures;
import chorus.shared.bus.AppendMessage;
import chorus.shared.bus.ClaimReplyJob;
import chorus.shared.bus.FailReplyJob;
import chorus.shared.bus.ReleaseReplyJob;
import chorus.shared.bus.RenewReplyJob;
import chorus.shared.bus.ReplyJobReady;
import chorus.shared.bus.ReplyWork;
import chorus.shared.bus.RetryReplyJob;
import chorus.shared.domain.BotKind;
import chorus.shared.domain.Conversation;
import chorus.shared.domain.Role;
import io.vertx.core.Future;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What the AI engine asks of persistence around a generation: lease renewal, release, retry, per-user admission (in the claim) and usage (in the reply). */
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

  /** A claim that admits under the asking user's limits, as the AI verticle sends it. */
  static ReplyWork claim(UUID jobId, String node, long lease, int maxConcurrent, long quota) {
    return call(Addresses.CLAIM_REPLY_JOB, new ClaimReplyJob(jobId, node, lease, 5, maxConcurrent, quota));
  }

  /** A reply that adds its tokens to the user's usage in its own statement. */
  static AppendMessage reply(Conversation conversation, UUID jobId, String node, String user, long tokens) {
    return new AppendMessage(conversation.id(), null, Role.ASSISTANT, "bot", "answer", Map.of(), null, false, null, jobId, node,
        null, null, user, tokens);
  }

  @Test
  void theClaimAdmitsUnderLiveGenerationsAndTodaysTokens() throws Exception {
    Conversation conversation = newConversation(BotKind.LLM);
    String user = conversation.ownerId();
    List<UUID> jobs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      jobs.add(job(conversation));
    }
    ReplyWork first = claim(jobs.get(0), "node-a", 300, 2, 100);
    assertNull(first.refusal());
    assertEquals(user, first.askerId());
    assertNull(claim(jobs.get(1), "node-b", 300, 2, 100).refusal());
    ReplyWork third = claim(jobs.get(2), "node-a", LEASE, 2, 100);
    assertEquals("AI_TOO_MANY_GENERATIONS", third.refusal(), "refused, but claimed: the caller gives it back");
    call(Addresses.FAIL_REPLY_JOB, new FailReplyJob(jobs.get(2), "node-a", "AI_TOO_MANY_GENERATIONS"));

    // the first two leases expire (their nodes died): they stop counting, with nothing to repair
    Thread.sleep(400);
    assertNull(claim(jobs.get(2), "node-a", LEASE, 2, 100).refusal());
    // the reply counts its tokens in its own statement and frees its slot
    append(reply(conversation, jobs.get(2), "node-a", user, 60));

    UUID fourth = job(conversation);
    assertNull(claim(fourth, "node-a", LEASE, 2, 100).refusal(), "60 of 100 tokens used");
    append(reply(conversation, fourth, "node-a", user, 45));
    UUID fifth = job(conversation);
    assertEquals("AI_QUOTA_EXCEEDED", claim(fifth, "node-a", LEASE, 2, 100).refusal(), "105 of 100 tokens used");
    call(Addresses.FAIL_REPLY_JOB, new FailReplyJob(fifth, "node-a", "AI_QUOTA_EXCEEDED"));
    assertNull(claim(fifth, "node-a", LEASE, 2, 0).refusal(), "0 means no quota");
    append(reply(conversation, fifth, "node-a", user, 10));
    assertEquals(115, tokensToday(user), "each reply counted once");
    finish(conversation, jobs.get(0));
    finish(conversation, jobs.get(1));
  }

  @Test
  void aRenewedGenerationKeepsCountingAndAFailedOrReleasedOneStops() throws Exception {
    Conversation conversation = newConversation(BotKind.LLM);
    UUID generating = job(conversation);
    UUID waiting = job(conversation);
    assertNull(claim(generating, "node-a", 300, 1, 0).refusal());
    call(Addresses.RENEW_REPLY_JOB, new RenewReplyJob(generating, "node-a", LEASE));
    Thread.sleep(400);
    assertEquals("AI_TOO_MANY_GENERATIONS", claim(waiting, "node-b", LEASE, 1, 0).refusal(), "renewed past its first lease");
    call(Addresses.FAIL_REPLY_JOB, new FailReplyJob(waiting, "node-b", "AI_TOO_MANY_GENERATIONS"));

    call(Addresses.FAIL_REPLY_JOB, new FailReplyJob(generating, "node-a", "AI_UNAVAILABLE"));
    assertNull(claim(waiting, "node-b", LEASE, 1, 0).refusal(), "a failed generation stops counting at once");
    call(Addresses.RELEASE_REPLY_JOB, new ReleaseReplyJob(waiting, "node-b"));
    assertNull(claim(generating, "node-a", LEASE, 1, 0).refusal(), "a released one too");
    append(reply(conversation, generating, "node-a", conversation.ownerId(), 0));
    assertNull(claim(waiting, "node-b", LEASE, 1, 0).refusal(), "and a stored one");
    append(reply(conversation, waiting, "node-b", conversation.ownerId(), 0));
  }

  /**
   * Many claims of one user at once, on several connections (as on several nodes): exactly
   * the limit is admitted, never more, because each claim reads the user's running list on
   * its newest version after waiting for the row's lock.
   */
  @Test
  void concurrentClaimsOfOneUserNeverPassTheLimitTogether() {
    for (int round = 0; round < 5; round++) {
      Conversation conversation = newConversation(BotKind.LLM);
      List<UUID> jobs = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        jobs.add(job(conversation));
      }
      List<Future<ReplyWork>> claims = new ArrayList<>();
      for (int i = 0; i < jobs.size(); i++) {
        claims.add(ask(Addresses.CLAIM_REPLY_JOB, new ClaimReplyJob(jobs.get(i), "node-" + i, LEASE, 1, 2, 0)));
      }
      await(Future.all(claims));
      long admitted = claims.stream().filter(claim -> claim.result().refusal() == null).count();
      assertEquals(2, admitted, "round " + round);
      for (int i = 0; i < jobs.size(); i++) {
        append(reply(conversation, jobs.get(i), "node-" + i, "answered"));
      }
    }
  }

  static long tokensToday(String user) {
    var rows = await(fixtures.preparedQuery(
            "SELECT tokens FROM ai_usage WHERE user_id = $1::text AND day = (now() AT TIME ZONE 'UTC')::date")
        .execute(Tuple.of(user)));
    return rows.iterator().next().getLong("tokens");
  }
}
