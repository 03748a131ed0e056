package chorus.ai.provider;

import java.util.List;

/**
 * What a model is asked: the system prompt (the bot's personality only, "" for none) and the
 * conversation as role-tagged messages, oldest first, ending with the user message being answered.
 */
public record Prompt(String system, List<Message> messages) {
  public Prompt {
    system = system == null ? "" : system;
    messages = List.copyOf(messages);
  }

  /** @param role {@code "user"} or {@code "assistant"} */
  public record Message(String role, String content) {}
}
