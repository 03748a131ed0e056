package chorus.ai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.shared.bus.ReplyWork;
import chorus.shared.domain.Bot;
import chorus.shared.domain.BotKind;
import chorus.shared.domain.Role;
import chorus.shared.domain.StoredMessage;
import io.vertx.core.json.JsonObject;
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

  private ReplyWork work(String personality, List<StoredMessage> history) {
    Bot bot = new Bot(UUID.randomUUID(), "owner", "Ada", BotKind.LLM, personality, Map.of(), false, Instant.EPOCH);
    return new ReplyWork(UUID.randomUUID(), conversation, history.get(history.size() - 1).id(), 1, bot, history);
  }

  @Test
  void theReplyQuotesTheMessageAndThePersonality() {
    GeneratedReply reply = provider.reply(work("You are a patient maths tutor. You explain.", List.of(message(1, Role.USER, "What is   7 x 8?"))));
    assertEquals("Ada here. You said: \"What is 7 x 8?\". Speaking as a patient maths tutor, this is message 1 of our conversation.",
        reply.content());
    assertEquals("local", reply.meta().get("provider"));
    assertEquals("stop", reply.meta().get("finish_reason"));
  }

  @Test
  void itIsDeterministicAndRemembersEarlierMessages() {
    List<StoredMessage> history = List.of(message(1, Role.USER, "hi"), message(2, Role.ASSISTANT, "hello"), message(3, Role.USER, "again"));
    ReplyWork work = work("", history);
    GeneratedReply first = provider.reply(work);
    assertEquals(first, provider.reply(work));
    assertTrue(first.content().contains("a helpful assistant"), first.content());
    assertTrue(first.content().contains("message 3 of our conversation and I remember your 1 earlier message."), first.content());
  }

  @Test
  void longMessagesAreTruncatedInTheQuote() {
    GeneratedReply reply = provider.reply(work("Brief.", List.of(message(1, Role.USER, "x".repeat(1000)))));
    assertTrue(reply.content().contains("x".repeat(200) + "..."));
    assertTrue(reply.content().length() < 400);
  }

  @Test
  void configDefaultsAndValidation() {
    AiConfig defaults = AiConfig.from(new JsonObject());
    assertEquals("local", defaults.provider());
    assertEquals(30_000L, defaults.leaseMs());
    assertThrows(IllegalArgumentException.class,
        () -> AiConfig.from(new JsonObject().put("ai", new JsonObject().put("leaseMs", 0))));
  }
}
