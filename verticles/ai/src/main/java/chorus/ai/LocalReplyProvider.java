package chorus.ai;

import chorus.shared.bus.ReplyWork;
import chorus.shared.domain.Role;
import chorus.shared.domain.StoredMessage;
import io.vertx.core.Future;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The development default: deterministic, no network. Its reply quotes the user's message
 * and the bot's personality, so every layer (auth, storage, jobs, delivery) can be seen
 * working end to end before any model is configured.
 */
final class LocalReplyProvider implements ReplyProvider {
  static final String NAME = "local";
  static final String MODEL = "local-echo-1";
  private static final int QUOTE_CHARS = 200;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<GeneratedReply> generate(ReplyWork work) {
    return Future.succeededFuture(reply(work));
  }

  GeneratedReply reply(ReplyWork work) {
    StoredMessage question = work.history().stream()
        .filter(m -> m.id().equals(work.userMessageId()))
        .findFirst()
        .orElseGet(() -> work.history().get(work.history().size() - 1));
    long userTurns = work.history().stream().filter(m -> m.role() == Role.USER).count();
    String content = work.bot().name() + " here. You said: \"" + quote(question.content()) + "\". "
        + "Speaking as " + persona(work.bot().personality()) + ", "
        + "this is message " + question.seq() + " of our conversation"
        + (userTurns > 1 ? " and I remember your " + (userTurns - 1) + " earlier message" + (userTurns > 2 ? "s" : "") : "")
        + ".";
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("provider", NAME);
    meta.put("model", MODEL);
    meta.put("finish_reason", "stop");
    return new GeneratedReply(content, meta);
  }

  private static String quote(String text) {
    String flat = text.strip().replaceAll("\\s+", " ");
    return flat.length() <= QUOTE_CHARS ? flat : flat.substring(0, QUOTE_CHARS) + "...";
  }

  /** The personality's first sentence, lower-cased at the start: "You are a patient tutor." -> "a patient tutor". */
  private static String persona(String personality) {
    String text = personality == null ? "" : personality.strip();
    if (text.isEmpty()) {
      return "a helpful assistant";
    }
    int end = text.indexOf('.');
    String first = (end > 0 ? text.substring(0, end) : text).strip();
    if (first.regionMatches(true, 0, "you are ", 0, 8)) {
      first = first.substring(8);
    }
    return first.length() > QUOTE_CHARS ? first.substring(0, QUOTE_CHARS) + "..." : first;
  }
}
