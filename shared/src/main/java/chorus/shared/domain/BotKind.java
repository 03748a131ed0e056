package chorus.shared.domain;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** An {@code llm} bot answers with a language model; a {@code survey} bot follows a script. */
public enum BotKind {
  LLM, SURVEY;

  @JsonValue
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** @throws IllegalArgumentException for anything that is not a bot kind */
  public static BotKind fromWire(String value) {
    return BotKind.valueOf(value.toUpperCase(Locale.ROOT));
  }
}
