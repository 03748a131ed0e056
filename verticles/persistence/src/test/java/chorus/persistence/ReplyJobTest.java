package chorus.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.shared.Addresses;
import chorus.shared.Failures;
import chorus.shared.bus.AppendMessage;
import chorus.shared.bus.AppendResult;
import chorus.shared.bus.ClaimReplyJob;
import chorus.shared.bus.DueReplyJobs;
import chorus.shared.bus.DueReplyJobsResult;
import chorus.shared.bus.FailReplyJob;
import chorus.shared.bus.Ping;
import chorus.shared.bus.ReplyJobReady;
import chorus.shared.bus.ReplyWork;
import chorus.shared.domain.BotKind;
import chorus.shared.domain.Conversation;
import chorus.shared.domain.Role;
import chorus.shared.domain.StoredMessage;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ReplyJobTest extends PersistenceTestBase {
  static final long LEASE = 30_000;

  static AppendResult userMessage(Conversation conversation, String content) {
    return append(AppendMessage.fromUser(conversation.id(), conversation.ownerId(), content, UUID.randomUUID().toString()));
  }

  static ClaimReplyJob claim(UUID jobId, String node, long leaseMillis) {
    return new ClaimReplyJob(jobId, node, leaseMillis, 20);
  }

  @Test
  void userMessageToAnLlmBotCreatesAJobAndAnnouncesIt() throws Exception {
    LinkedBlockingQueue<ReplyJobReady> ready = new LinkedBlockingQueue<>();
    MessageConsumer<ReplyJobReady> consumer = vertx.eventBus()
        .consumer(Addresses.REPLY_JOB_READY, message -> ready.add(message.body()));
    await(consumer.completion());
    try {
      Conversation conversation = newConversation(BotKind.LLM);
      AppendResult result = userMessage(conversation, "answer me");
      assertNotNull(result.replyJobId());
      ReplyJobReady announced = ready.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      assertEquals(new ReplyJobReady(result.replyJobId(), conversation.id()), announced);
      finish(conversation, result.replyJobId());
    } finally {
      await(consumer.unregister());
    }
  }

  @Test
  void noJobForASurveyBotOrWhenNoReplyIsWanted() {
    Conversation survey = newConversation(BotKind.SURVEY);
    assertNull(userMessage(survey, "hi").replyJobId());

    Conversation llm = newConversation(BotKind.LLM);
    assertNull(append(quiet(llm, "no reply wanted", null)).replyJobId());
    AppendMessage system = new AppendMessage(llm.id(), null, Role.SYSTEM, null, "joined", Map.of(), null, true, null, null, null);
    assertNull(append(system).replyJobId(), "only user messages get replies");
  }

  @Test
  void aClaimedJobGetsExactlyOneReply() {
    Conversation conversation = newConversation(BotKind.LLM);
    append(quiet(conversation, "one", null));
    StoredMessage two = append(quiet(conversation, "two", null)).message();
    AppendResult question = userMessage(conversation, "three?");
    append(quiet(conversation, "four, after the question", null));
    UUID jobId = question.replyJobId();

    ReplyWork work = call(Addresses.CLAIM_REPLY_JOB, new ClaimReplyJob(jobId, "node-a", LEASE, 2));
    assertEquals(jobId, work.jobId());
    assertEquals(conversation.id(), work.conversationId());
    assertEquals(question.message().id(), work.userMessageId());
    assertEquals(1, work.attempt());
    assertEquals(conversation.botId(), work.bot().id());
    assertEquals("You are terse.", work.bot().personality());
    assertEquals(List.of(two, question.message()), work.history(), "the last 2 messages up to the question, oldest first");

    assertEquals(Failures.CONFLICT, failureOf(Addresses.CLAIM_REPLY_JOB, claim(jobId, "node-b", LEASE)));
    assertEquals(Failures.CONFLICT, failureOf(Addresses.APPEND, reply(conversation, jobId, "node-b", "not mine")),
        "a node without the lease cannot reply");

    AppendResult answer = append(reply(conversation, jobId, "node-a", "the answer"));
    assertFalse(answer.duplicate());
    assertEquals(question.message().id(), answer.message().replyToMessageId());
    assertEquals(Role.ASSISTANT, answer.message().role());
    assertEquals(5, answer.message().seq());

    // the job is done: no second claim, no second reply, by anyone, by any route
    assertEquals(Failures.CONFLICT, failureOf(Addresses.CLAIM_REPLY_JOB, claim(jobId, "node-b", LEASE)));
    assertEquals(Failures.CONFLICT, failureOf(Addresses.APPEND, reply(conversation, jobId, "node-a", "again")));
    AppendMessage operatorReply = new AppendMessage(conversation.id(), null, Role.OPERATOR, "op", "me too", Map.of(), null,
        false, question.message().id(), null, null);
    assertEquals(Failures.CONFLICT, failureOf(Addresses.APPEND, operatorReply));

    List<StoredMessage> stored = history(conversation, null, null, 0).messages();
    assertEquals(1, stored.stream().filter(m -> question.message().id().equals(m.replyToMessageId())).count());
    assertEquals(5, lastSeq(conversation), "refused replies left no gap");
  }

  @Test
  void anExpiredLeaseIsTakenOverByAnotherNode() throws Exception {
    Conversation conversation = newConversation(BotKind.LLM);
    UUID jobId = userMessage(conversation, "slow node").replyJobId();
    ReplyWork first = call(Addresses.CLAIM_REPLY_JOB, claim(jobId, "node-a", 1));
    assertEquals(1, first.attempt());
    Thread.sleep(50);

    ReplyWork second = call(Addresses.CLAIM_REPLY_JOB, claim(jobId, "node-b", LEASE));
    assertEquals(2, second.attempt());
    assertEquals(Failures.CONFLICT, failureOf(Addresses.APPEND, reply(conversation, jobId, "node-a", "late")),
        "the node that lost the lease cannot reply any more");
    assertEquals(Failures.CONFLICT, failureOf(Addresses.FAIL_REPLY_JOB, new FailReplyJob(jobId, "node-a", "boom")));

    // the holder gives it back as failed; it can be claimed again
    Ping ack = call(Addresses.FAIL_REPLY_JOB, new FailReplyJob(jobId, "node-b", "provider timeout"));
    assertNotNull(ack);
    ReplyWork third = call(Addresses.CLAIM_REPLY_JOB, claim(jobId, "node-c", LEASE));
    assertEquals(3, third.attempt());
    append(reply(conversation, jobId, "node-c", "finally"));
  }

  @Test
  void dueJobsArePendingOnesLeftTooLongAndExpiredLeases() throws Exception {
    Conversation conversation = newConversation(BotKind.LLM);
    UUID old = userMessage(conversation, "forgotten").replyJobId();
    UUID fresh = userMessage(conversation, "just now").replyJobId();
    UUID expired = userMessage(conversation, "holder died").replyJobId();
    UUID held = userMessage(conversation, "being answered").replyJobId();
    // back-dated far enough to sort before other tests' leftovers (the result is oldest first)
    backdateJob(old, 3_000_000_000L);
    backdateJob(expired, 2_999_999_999L);
    call(Addresses.CLAIM_REPLY_JOB, claim(expired, "node-dead", 1));
    call(Addresses.CLAIM_REPLY_JOB, claim(held, "node-alive", LEASE));
    Thread.sleep(50);

    DueReplyJobsResult due = call(Addresses.DUE_REPLY_JOBS, new DueReplyJobs(60_000, 100));
    List<UUID> ids = due.jobs().stream().map(ReplyJobReady::jobId).toList();
    assertTrue(ids.contains(old), "a pending job older than the threshold is due");
    assertTrue(ids.contains(expired), "a running job whose lease expired is due");
    assertFalse(ids.contains(fresh), "a young pending job is left to the node it was announced to");
    assertFalse(ids.contains(held), "a live lease is not due");
    assertTrue(ids.indexOf(old) < ids.indexOf(expired), "oldest first");
    assertEquals(new ReplyJobReady(old, conversation.id()), due.jobs().get(ids.indexOf(old)));

    DueReplyJobsResult one = call(Addresses.DUE_REPLY_JOBS, new DueReplyJobs(60_000, 1));
    assertEquals(1, one.jobs().size(), "max is honoured");

    for (UUID job : List.of(old, fresh, expired)) {
      finish(conversation, job);
    }
    append(reply(conversation, held, "node-alive", "done"));
    List<UUID> after = dueIds();
    assertFalse(after.contains(old) || after.contains(expired), "answered jobs are never due");
  }

  private List<UUID> dueIds() {
    DueReplyJobsResult due = call(Addresses.DUE_REPLY_JOBS, new DueReplyJobs(0, 1000));
    return due.jobs().stream().map(ReplyJobReady::jobId).toList();
  }
}
