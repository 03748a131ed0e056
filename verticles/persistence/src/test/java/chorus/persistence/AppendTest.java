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
import chorus.shared.bus.ConnectContextRequest;
import chorus.shared.bus.HistoryRequest;
import chorus.shared.bus.MessageAppended;
import chorus.shared.domain.BotKind;
import chorus.shared.domain.Conversation;
import chorus.shared.domain.Role;
import chorus.shared.domain.StoredMessage;
import io.vertx.core.Future;
import io.vertx.core.eventbus.MessageConsumer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class AppendTest extends PersistenceTestBase {

  @Test
  void appendsGetGapFreeSeqsAndBumpLastSeq() {
    Conversation conversation = newConversation(BotKind.SURVEY);
    assertEquals(0, lastSeq(conversation));
    Instant before = Instant.now().minusSeconds(60);

    List<StoredMessage> stored = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      AppendResult result = append(quiet(conversation, "message " + i, null));
      assertFalse(result.duplicate());
      stored.add(result.message());
      assertEquals(i, result.message().seq());
      assertEquals(i, lastSeq(conversation));
    }
    StoredMessage first = stored.get(0);
    assertEquals(conversation.id(), first.conversationId());
    assertEquals(Role.USER, first.role());
    assertEquals(conversation.ownerId(), first.senderId());
    assertEquals("message 1", first.content());
    assertTrue(first.createdAt().isAfter(before), "created_at comes from the database clock");
    assertEquals(stored, history(conversation, null, null, 0).messages());
  }

  /**
   * A burst over several conversations is committed in batches (group commit): every
   * append is stored once, gap-free, and what each caller was told is what is stored.
   */
  @Test
  void aBurstOverSeveralConversationsIsStoredOnceEachAsAcknowledged() {
    List<Conversation> conversations = IntStream.range(0, 5).mapToObj(i -> newConversation(BotKind.SURVEY)).toList();
    List<Future<AppendResult>> results = new ArrayList<>();
    for (int i = 1; i <= 60; i++) {
      for (Conversation conversation : conversations) {
        results.add(ask(Addresses.APPEND, quiet(conversation, "m" + i, "client-" + i)));
      }
    }
    await(Future.all(results));
    for (Conversation conversation : conversations) {
      List<StoredMessage> stored = allMessages(conversation);
      assertEquals(LongStream.rangeClosed(1, 60).boxed().toList(), stored.stream().map(StoredMessage::seq).toList());
      assertEquals(IntStream.rangeClosed(1, 60).mapToObj(i -> "m" + i).collect(Collectors.toSet()),
          stored.stream().map(StoredMessage::content).collect(Collectors.toSet()), "each append stored once");
      assertEquals(60, lastSeq(conversation));
    }
    Set<StoredMessage> acknowledged = results.stream().map(result -> result.result().message()).collect(Collectors.toSet());
    assertEquals(conversations.stream().flatMap(c -> allMessages(c).stream()).collect(Collectors.toSet()), acknowledged);
  }

  /**
   * A burst mixing what a busy node sees: messages that want a reply (their jobs created in
   * the batch), a repeat of a stored client id, a stranger's message, a conversation that
   * does not exist. Each is answered as it would be alone, and each conversation's messages
   * are stored once each, gap-free. (Appends in flight at once are not ordered with each
   * other: several transactions run at a time.)
   */
  @Test
  void aMixedBurstIsAnsweredAsEachAloneWouldBe() {
    Conversation llm = newConversation(BotKind.LLM);
    Conversation survey = newConversation(BotKind.SURVEY);
    AppendResult earlier = append(quiet(survey, "earlier", "repeat-me"));
    String stranger = newUser();
    List<Future<AppendResult>> llmResults = new ArrayList<>();
    List<Future<AppendResult>> surveyResults = new ArrayList<>();
    Future<AppendResult> repeat = null;
    Future<AppendResult> intrusion = null;
    Future<AppendResult> nowhere = null;
    for (int i = 1; i <= 40; i++) {
      llmResults.add(ask(Addresses.APPEND, AppendMessage.fromUser(llm.id(), llm.ownerId(), "ask " + i, "ask-" + i)));
      surveyResults.add(ask(Addresses.APPEND, quiet(survey, "say " + i, "say-" + i)));
      if (i == 10) {
        repeat = ask(Addresses.APPEND, quiet(survey, "earlier again", "repeat-me"));
        intrusion = ask(Addresses.APPEND, AppendMessage.fromUser(llm.id(), stranger, "let me in", "in-1"));
        nowhere = ask(Addresses.APPEND, AppendMessage.fromUser(UUID.randomUUID(), stranger, "anyone?", null));
      }
    }
    await(Future.join(List.of(Future.all(llmResults), Future.all(surveyResults), repeat, intrusion, nowhere)).otherwiseEmpty());

    List<StoredMessage> asked = allMessages(llm);
    assertEquals(IntStream.rangeClosed(1, 40).mapToObj(i -> "ask " + i).collect(Collectors.toSet()),
        asked.stream().map(StoredMessage::content).collect(Collectors.toSet()), "the stranger's message is not among them");
    assertEquals(LongStream.rangeClosed(1, 40).boxed().toList(), asked.stream().map(StoredMessage::seq).toList());
    assertEquals(IntStream.rangeClosed(1, 40).mapToObj(i -> "say " + i).collect(Collectors.toSet()),
        allMessages(survey).stream().skip(1).map(StoredMessage::content).collect(Collectors.toSet()));
    assertEquals(41, lastSeq(survey), "the repeat wrote nothing");
    assertEquals(llmResults.stream().map(result -> result.result().message()).collect(Collectors.toSet()), Set.copyOf(asked),
        "what each caller was told is what is stored");
    Set<UUID> jobs = llmResults.stream().map(result -> result.result().replyJobId()).collect(Collectors.toSet());
    assertFalse(jobs.contains(null), "every message to the AI bot got its reply job");
    assertEquals(40, jobs.size());
    assertTrue(surveyResults.stream().allMatch(result -> result.result().replyJobId() == null && !result.result().duplicate()));
    assertTrue(repeat.result().duplicate());
    assertEquals(earlier.message(), repeat.result().message());
    assertEquals(Failures.NOT_FOUND, ((io.vertx.core.eventbus.ReplyException) intrusion.cause()).failureCode());
    assertEquals(Failures.NOT_FOUND, ((io.vertx.core.eventbus.ReplyException) nowhere.cause()).failureCode());
    for (int i = 0; i < 40; i++) {
      finish(llm, llmResults.get(i).result().replyJobId());
    }
  }

  /** One message the database refuses, in a burst: it alone fails, the others are all stored. */
  @Test
  void aRefusedMessageInABurstFailsAloneAndTheOthersAreStored() {
    Conversation conversation = newConversation(BotKind.SURVEY);
    List<Future<AppendResult>> results = new ArrayList<>();
    for (int i = 1; i <= 80; i++) {
      // PostgreSQL refuses a NUL character in text: this statement fails, as a whole batch would with it
      results.add(ask(Addresses.APPEND, quiet(conversation, i == 40 ? "bad\u0000" : "m" + i, null)));
    }
    await(Future.join(results).otherwiseEmpty());
    for (int i = 1; i <= 80; i++) {
      assertEquals(i != 40, results.get(i - 1).succeeded(), "append " + i);
    }
    List<StoredMessage> stored = allMessages(conversation);
    assertEquals(LongStream.rangeClosed(1, 79).boxed().toList(), stored.stream().map(StoredMessage::seq).toList());
    assertEquals(IntStream.rangeClosed(1, 80).filter(i -> i != 40).mapToObj(i -> "m" + i).collect(Collectors.toSet()),
        stored.stream().map(StoredMessage::content).collect(Collectors.toSet()));
    assertEquals(79, lastSeq(conversation));
  }

  @Test
  void concurrentAppendsOnOneConversationGetSeqsOneToTwoHundred() {
    Conversation conversation = newConversation(BotKind.SURVEY);
    List<Future<AppendResult>> results = IntStream.rangeClosed(1, 200)
        .mapToObj(i -> PersistenceTestBase.<AppendResult>ask(Addresses.APPEND, quiet(conversation, "m" + i, null)))
        .toList();
    await(Future.all(results));

    List<Long> seqs = results.stream().map(f -> f.result().message().seq()).sorted().toList();
    assertEquals(LongStream.rangeClosed(1, 200).boxed().toList(), seqs, "no gap, no duplicate");
    assertEquals(200, lastSeq(conversation));
    // and what is stored agrees with what was acknowledged
    assertEquals(seqs, allMessages(conversation).stream().map(StoredMessage::seq).toList());
  }

  @Test
  void repeatedClientMessageIdReturnsTheStoredMessage() {
    Conversation conversation = newConversation(BotKind.LLM);
    AppendMessage message = AppendMessage.fromUser(conversation.id(), conversation.ownerId(), "hello", "client-1");
    AppendResult first = append(message);
    AppendResult second = append(message);

    assertFalse(first.duplicate());
    assertTrue(second.duplicate());
    assertEquals(first.message(), second.message());
    assertNotNull(first.replyJobId());
    assertEquals(first.replyJobId(), second.replyJobId(), "the repeat points at the same (single) reply job");
    assertEquals(1, lastSeq(conversation), "the repeat wrote nothing");
    assertEquals(List.of(first.message()), history(conversation, null, null, 0).messages());

    // the same client id in another conversation is another message
    Conversation other = newConversation(BotKind.SURVEY);
    AppendResult elsewhere = append(quiet(other, "hello", "client-1"));
    assertFalse(elsewhere.duplicate());
    finish(conversation, first.replyJobId());
  }

  @Test
  void concurrentRepeatsOfOneClientMessageIdStoreOneMessage() {
    Conversation conversation = newConversation(BotKind.SURVEY);
    List<Future<AppendResult>> results = IntStream.range(0, 20)
        .mapToObj(i -> PersistenceTestBase.<AppendResult>ask(Addresses.APPEND, quiet(conversation, "same", "client-x")))
        .toList();
    await(Future.all(results));

    List<AppendResult> answers = results.stream().map(Future::result).toList();
    assertEquals(1, answers.stream().filter(r -> !r.duplicate()).count(), "exactly one append stored it");
    assertEquals(1, answers.stream().map(r -> r.message().id()).distinct().count());
    assertEquals(Set.of(1L), answers.stream().map(r -> r.message().seq()).collect(Collectors.toSet()));
    assertEquals(1, lastSeq(conversation), "losers of the race left no gap");
    assertEquals(1, history(conversation, null, null, 0).messages().size());
  }

  @Test
  void anotherUsersConversationIsNotFound() {
    Conversation conversation = newConversation(BotKind.SURVEY);
    String stranger = newUser();
    AppendMessage intrusion = AppendMessage.fromUser(conversation.id(), stranger, "hi", "c1");

    assertEquals(Failures.NOT_FOUND, failureOf(Addresses.APPEND, intrusion));
    assertEquals(Failures.NOT_FOUND, failureOf(Addresses.HISTORY,
        new HistoryRequest(conversation.id(), stranger, null, null, 10)));
    assertEquals(Failures.NOT_FOUND, failureOf(Addresses.CONNECT_CONTEXT,
        new ConnectContextRequest(conversation.id(), stranger)));
    // a conversation that does not exist looks exactly the same
    assertEquals(Failures.NOT_FOUND, failureOf(Addresses.APPEND,
        AppendMessage.fromUser(UUID.randomUUID(), stranger, "hi", null)));
    assertEquals(0, lastSeq(conversation), "nothing was written");

    // a stranger repeating the owner's client id learns nothing about the stored message
    append(AppendMessage.fromUser(conversation.id(), conversation.ownerId(), "secret", "c1"));
    assertEquals(Failures.NOT_FOUND, failureOf(Addresses.APPEND, intrusion));
  }

  @Test
  void messageAppendedIsPublishedOnTheConversationTopicOnce() throws Exception {
    Conversation conversation = newConversation(BotKind.SURVEY);
    LinkedBlockingQueue<MessageAppended> events = new LinkedBlockingQueue<>();
    MessageConsumer<MessageAppended> consumer = vertx.eventBus()
        .consumer(Addresses.conversationTopic(conversation.id()), message -> events.add(message.body()));
    await(consumer.completion());
    try {
      AppendResult result = append(quiet(conversation, "published", "p-1"));
      MessageAppended event = events.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      assertNotNull(event, "MessageAppended was published");
      assertEquals(result.message(), event.message());

      assertTrue(append(quiet(conversation, "published", "p-1")).duplicate());
      assertNull(events.poll(Duration.ofMillis(300).toMillis(), TimeUnit.MILLISECONDS), "a duplicate is not published again");
    } finally {
      await(consumer.unregister());
    }
  }

  @Test
  void metaRoundTripsAsPlainJson() {
    Conversation conversation = newConversation(BotKind.SURVEY);
    Map<String, Object> meta = Map.of("source", "web", "nested", Map.of("n", 1, "list", List.of("a", true)));
    AppendMessage message = new AppendMessage(conversation.id(), conversation.ownerId(), Role.USER,
        conversation.ownerId(), "with meta", meta, null, false, null, null, null);
    StoredMessage stored = append(message).message();
    assertEquals(meta, stored.meta());
    assertEquals(meta, history(conversation, null, null, 0).messages().get(0).meta());
  }

  @Test
  void incompleteAppendIsInvalid() {
    Conversation conversation = newConversation(BotKind.SURVEY);
    AppendMessage noContent = new AppendMessage(conversation.id(), conversation.ownerId(), Role.USER,
        conversation.ownerId(), null, Map.of(), null, false, null, null, null);
    assertEquals(Failures.INVALID, failureOf(Addresses.APPEND, noContent));
    assertEquals(Failures.INVALID, failureOf(Addresses.APPEND, "not an AppendMessage"));
    assertEquals(0, lastSeq(conversation));
  }
}
