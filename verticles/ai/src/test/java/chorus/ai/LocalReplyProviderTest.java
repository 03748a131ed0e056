package chorus.ai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.shared.bus.ReplyWork;
import chorus.shared.domain.Bot;
import chorus.shared.domain.BotKind;
import chorus.shared.domain.Role;
import chorus.shared.domain.StoredMessage;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class LocalReplyProviderTest {
  private final LocalReplyProvider provider = new LocalReplyProvider();
  private final UUID conversation = UUID.randomUUID();

  private StoredMessage message(long seq, Role role, String content) {
    return new StoredMessage(UUID.randomUUID(), conversation, seq, role, "u", content, Map.of(), null, null, Instant.EPOCH);
  }

  private ReplyWork work(String botName, String personality, List<StoredMessage> history) {
    Bot bot = new Bot(UUID.randomUUID(), "owner", botName, BotKind.LLM, personality, Map.of(), false, Instant.EPOCH);
    UUID userMessage = history.isEmpty() ? UUID.randomUUID() : history.get(history.size() - 1).id();
    return new ReplyWork(UUID.randomUUID(), conversation, userMessage, 1, bot, history);
  }

  @Test
  void theReplyShowsTheMessageTheNameAndThePersonality() {
    GeneratedReply reply = provider.reply(work("Ada", "You are a patient maths tutor. You explain.",
        List.of(message(1, Role.USER, "What is   7 x 8?"))));
    assertEquals("Ada here. You said: \"What is 7 x 8?\". Speaking as a patient maths tutor, this is message 1 of our conversation.",
        reply.content());
    assertEquals(Map.of("provider", "local", "model", "local-echo-1", "finish_reason", "stop"), reply.meta());
  }

  @Test
  void theSameWorkGivesTheSameReplyAndHistoryShowsInIt() {
    List<StoredMessage> history = List.of(message(1, Role.USER, "hi"), message(2, Role.ASSISTANT, "hello"), message(3, Role.USER, "again"));
    ReplyWork work = work("Ada", "", history);
    GeneratedReply first = provider.reply(work);
    assertEquals(first, provider.reply(work));
    assertEquals(first, provider.reply(new ReplyWork(work.jobId(), work.conversationId(), work.userMessageId(), 2, work.bot(), List.copyOf(history))));
    assertEquals("Ada here. You said: \"again\". Speaking as a helpful assistant, "
        + "this is message 3 of our conversation and I remember your 1 earlier message.", first.content());
  }

  @Test
  void itAnswersTheJobsUserMessageEvenWhenItIsNotLast() {
    StoredMessage asked = message(7, Role.USER, "the question");
    List<StoredMessage> history = List.of(message(5, Role.USER, "a"), message(6, Role.USER, "b"), asked, message(8, Role.USER, "later"));
    ReplyWork work = new ReplyWork(UUID.randomUUID(), conversation, asked.id(), 1, work("Bo", "Pirate! Says arr.", history).bot(), history);
    assertEquals("Bo here. You said: \"the question\". Speaking as Pirate, this is message 7 of our conversation "
        + "and I remember your 2 earlier messages.", provider.reply(work).content());
  }

  @Test
  void longMessagesAndPersonalitiesAreShortened() {
    GeneratedReply reply = provider.reply(work("Ada", "y".repeat(1000), List.of(message(1, Role.USER, "x".repeat(1000)))));
    assertTrue(reply.content().contains("\"" + "x".repeat(200) + "...\""), reply.content());
    assertTrue(reply.content().contains("Speaking as " + "y".repeat(200) + "..., "), reply.content());
    assertTrue(reply.content().length() < 600, reply.content());
  }

  @Test
  void aMissingUserMessageFailsTheFutureInsteadOfThrowing() {
    Future<GeneratedReply> generated = provider.generate(work("Ada", "", List.of()), DeltaSink.NONE, new Cancellation());
    assertTrue(generated.failed());
    assertTrue(generated.cause() instanceof IllegalStateException);
  }

  @Test
  void theDeltasAddUpToTheReply() {
    StringBuilder streamed = new StringBuilder();
    List<String> pieces = new java.util.ArrayList<>();
    Future<GeneratedReply> generated = provider.generate(
        work("Ada", "", List.of(message(1, Role.USER, "hello there"))), piece -> { pieces.add(piece); streamed.append(piece); }, new Cancellation());
    assertTrue(generated.succeeded());
    assertTrue(pieces.size() > 3, pieces.toString());
    assertEquals(generated.result().content(), streamed.toString());
  }

  @Test
  void aBlankBotNameAndPersonalityGetDefaults() {
    GeneratedReply reply = provider.reply(work(" ", "  \n ", List.of(message(1, Role.USER, "hey"))));
    assertTrue(reply.content().startsWith("Assistant here. You said: \"hey\". Speaking as a helpful assistant, "), reply.content());
  }

  @Test
  void theReplyReportsItsTokenUsage() {
    GeneratedReply reply = provider.generate(work("Ada", "", List.of(message(1, Role.USER, "hello there"))), DeltaSink.NONE,
        new Cancellation()).result();
    assertEquals(3L, reply.meta().get("prompt_tokens")); // 11 characters, about four a token
    assertEquals(reply.content().split(" ").length, reply.meta().get("completion_tokens"));
    assertEquals("stop", reply.meta().get("finish_reason"));
  }

  @Test
  void aSlowStreamStoppedMidwayEndsWithWhatWasSentMarkedStopped() throws Exception {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      LocalReplyProvider slow = new LocalReplyProvider(vertx, 20, 0);
      Cancellation cancellation = new Cancellation();
      List<String> pieces = new java.util.concurrent.CopyOnWriteArrayList<>();
      ReplyWork work = work("Ada", "", List.of(message(1, Role.USER, "hello there")));
      io.vertx.core.Promise<GeneratedReply> started = io.vertx.core.Promise.promise();
      vertx.runOnContext(v -> slow.generate(work, pieces::add, cancellation).onComplete(started));
      Future<GeneratedReply> generated = started.future();
      while (pieces.size() < 3) {
        Thread.sleep(5);
      }
      vertx.runOnContext(v -> cancellation.cancel());
      GeneratedReply reply = generated.toCompletionStage().toCompletableFuture().get(5, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(String.join("", pieces), reply.content());
      assertEquals("stopped", reply.meta().get("finish_reason"));
      assertTrue(reply.content().length() < provider.reply(work).content().length());
    } finally {
      vertx.close().await(10, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  @Test
  void theFirstAttemptsFailForGoodWhenAskedTo() {
    LocalReplyProvider flaky = new LocalReplyProvider(null, 0, 1);
    List<StoredMessage> history = List.of(message(1, Role.USER, "hi"));
    ReplyWork first = work("Ada", "", history);
    Future<GeneratedReply> failed = flaky.generate(first, DeltaSink.NONE, new Cancellation());
    assertTrue(failed.failed());
    assertEquals("local_fail_attempts", ((ProviderFailure) failed.cause()).kind());
    ReplyWork second = new ReplyWork(first.jobId(), first.conversationId(), first.userMessageId(), 2, first.bot(), history);
    assertTrue(flaky.generate(second, DeltaSink.NONE, new Cancellation()).succeeded());
  }
}
