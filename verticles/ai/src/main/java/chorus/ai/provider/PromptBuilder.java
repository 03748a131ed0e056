package chorus.ai.provider;

import chorus.shared.bus.ReplyWork;
import chorus.shared.domain.Role;
import chorus.shared.domain.StoredMessage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Builds the prompt both HTTP providers send. The system prompt is the bot's personality and
 * nothing else; what users wrote only ever travels as {@code user} messages, so a message can
 * not rewrite the bot's instructions. History is taken newest first while it fits the token
 * budget, whole messages only; the message being answered is always kept.
 */
public final class PromptBuilder {
  /** A rough per-message overhead (role, separators) on top of the text's own estimate. */
  static final int MESSAGE_OVERHEAD_TOKENS = 4;

  private PromptBuilder() {}

  /** A cheap, provider-neutral estimate: about four characters per token. */
  public static int estimateTokens(String text) {
    return text == null ? 0 : (text.length() + 3) / 4;
  }

  public static Prompt build(ReplyWork work, int tokenBudget) {
    String system = work.bot().personality() == null ? "" : work.bot().personality().strip();
    List<StoredMessage> history = upToTheQuestion(work);
    if (history.isEmpty()) {
      throw new IllegalStateException("reply job " + work.jobId() + " came without its user message");
    }
    int used = estimateTokens(system);
    List<Prompt.Message> kept = new ArrayList<>();
    for (int i = history.size() - 1; i >= 0; i--) {
      StoredMessage message = history.get(i);
      String role = roleOf(message.role());
      if (role == null) {
        continue;
      }
      int cost = estimateTokens(message.content()) + MESSAGE_OVERHEAD_TOKENS;
      boolean question = kept.isEmpty();
      if (!question && used + cost > tokenBudget) {
        break; // the oldest messages go first, and whole
      }
      used += cost;
      kept.add(new Prompt.Message(role, message.content() == null ? "" : message.content()));
    }
    Collections.reverse(kept);
    return new Prompt(system, kept);
  }

  /** The history up to and including the job's user message (a later message is not what we answer). */
  private static List<StoredMessage> upToTheQuestion(ReplyWork work) {
    List<StoredMessage> history = work.history() == null ? List.of() : work.history();
    for (int i = history.size() - 1; i >= 0; i--) {
      if (history.get(i).id().equals(work.userMessageId())) {
        return history.subList(0, i + 1);
      }
    }
    return history;
  }

  /**
   * User messages speak as the user; the bot's and a human operator's as the assistant side.
   * System notices are not part of the dialogue and are left out (never put into the system prompt).
   */
  private static String roleOf(Role role) {
    return switch (role) {
      case USER -> "user";
      case ASSISTANT, OPERATOR -> "assistant";
      case SYSTEM -> null;
    };
  }

  /**
   * For APIs that want strictly alternating turns starting with the user (Anthropic): leading
   * assistant turns are dropped and consecutive turns of one role are joined.
   */
  public static List<Prompt.Message> alternating(List<Prompt.Message> messages) {
    List<Prompt.Message> merged = new ArrayList<>();
    for (Prompt.Message message : messages) {
      if (merged.isEmpty() && !"user".equals(message.role())) {
        continue;
      }
      Prompt.Message last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
      if (last != null && last.role().equals(message.role())) {
        merged.set(merged.size() - 1, new Prompt.Message(last.role(), last.content() + "\n\n" + message.content()));
      } else {
        merged.add(message);
      }
    }
    return merged;
  }
}
