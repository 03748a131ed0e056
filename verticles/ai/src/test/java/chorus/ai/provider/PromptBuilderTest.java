package chorus.ai.provider;

import static chorus.ai.provider.ProviderTestSupport.message;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import chorus.shared.bus.ReplyWork;
import chorus.shared.domain.Bot;
import chorus.shared.domain.BotKind;
import chorus.shared.domain.Role;
import chorus.shared.domain.StoredMessage;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class PromptBuilderTest {
  private static ReplyWork work(String personality, UUID question, List<StoredMessage> history) {
    Bot bot = new Bot(UUID.randomUUID(), "o", "Ada", BotKind.LLM, personality, Map.of(), false, Instant.EPOCH);
    return new ReplyWork(UUID.randomUUID(), ProviderTestSupport.CONVERSATION, question, 1, bot, history);
  }

  @Test
  void theJobsQuestionEndsThePromptAndLaterMessagesAreNotSent() {
    StoredMessage asked = message(2, Role.USER, "asked");
    Prompt prompt = PromptBuilder.build(work("  Be kind.  ", asked.id(), List.of(
        message(1, Role.OPERATOR, "an operator said"), asked, message(3, Role.USER, "later"))), 1000);
    assertEquals("Be kind.", prompt.system());
    assertEquals(List.of(new Prompt.Message("assistant", "an operator said"), new Prompt.Message("user", "asked")), prompt.messages());
  }

  @Test
  void theSystemPromptCountsAgainstTheBudget() {
    StoredMessage asked = message(3, Role.USER, "q");
    List<StoredMessage> history = List.of(message(1, Role.USER, "a".repeat(40)), message(2, Role.ASSISTANT, "b".repeat(40)), asked);
    // 10 + 4 tokens per earlier message, 1 + 4 for the question
    assertEquals(3, PromptBuilder.build(work("", asked.id(), history), 33).messages().size());
    assertEquals(2, PromptBuilder.build(work("", asked.id(), history), 32).messages().size());
    assertEquals(2, PromptBuilder.build(work("s".repeat(4), asked.id(), history), 33).messages().size());
  }

  @Test
  void noHistoryIsAnError() {
    assertThrows(IllegalStateException.class, () -> PromptBuilder.build(work("", UUID.randomUUID(), List.of()), 100));
  }
}
