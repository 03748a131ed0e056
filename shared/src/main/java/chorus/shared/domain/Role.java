package chorus.shared.domain;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Who wrote a message. Stored and sent on the wire in lower case. */
public enum Role {
  USER, ASSISTANT, OPERATOR, SYSTEM;

  @JsonValue
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Role fromWire(String value) {
    return Role.valueOf(value.toUpperCase(Locale.ROOT));
  }
}
