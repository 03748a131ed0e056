package chorus.ai;

import chorus.shared.bus.ReplyWork;
import chorus.shared.domain.Role;
import chorus.shared.domain.StoredMessage;
import io.vertx.core.Future;
import java.util.List;
import java.util.Map;

/**
 * The development default: deterministic, no network. Its reply quotes the user's message,
 * the bot's name and personality, and counts the conversation so far, so every layer (auth,
 * storage, jobs, delivery) can be seen working end to end before any model is configured.
 * The same work always gives the same reply.
 */
final class LocalReplyProvider implements ReplyProvider {
  static final String NAME = "local";
  static final String MODEL = "local-echo-1";
  private static final int QUOTE_CHARS = 200;
  private static final String DEFAULT_PERSONA = "a helpful assistant";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<GeneratedReply> generate(ReplyWork work, DeltaSink sink, Cancellation cancellation) {
    try {
      GeneratedReply reply = reply(work);
      // word by word, so streaming clients see the same shape of deltas a model gives
      for (String piece : reply.content().split("(?<= )")) {
        sink.delta(piece);
      }
      return Future.succeededFuture(reply);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  GeneratedReply reply(ReplyWork work) {
    StoredMessage question = question(work);
    long earlierUserMessages = work.history().stream()
        .filter(m -> m.role() == Role.USER && m.seq() < question.seq())
        .count();
    String content = botName(work) + " here. You said: \"" + shorten(flatten(question.content())) + "\". "
        + "Speaking as " + persona(work.bot().personality()) + ", "
        + "this is message " + question.seq() + " of our conversation"
        + (earlierUserMessages == 0 ? "" : " and I remember your " + earlierUserMessages
            + " earlier message" + (earlierUserMessages == 1 ? "" : "s"))
        + ".";
    return new GeneratedReply(content, Map.of("provider", NAME, "model", MODEL, "finish_reason", "stop"));
  }

  /** The message being answered: the job's user message, which persistence puts last in the history. */
  private static StoredMessage question(ReplyWork work) {
    List<StoredMessage> history = work.history();
    if (history == null || history.isEmpty()) {
      throw new IllegalStateException("reply job " + work.jobId() + " came without its user message");
    }
    return history.stream()
        .filter(m -> m.id().equals(work.userMessageId()))
        .findFirst()
        .orElse(history.get(history.size() - 1));
  }

  private static String botName(ReplyWork work) {
    String name = work.bot().name();
    return name == null || name.isBlank() ? "Assistant" : name.strip();
  }

  /** The personality's first sentence, without a leading "You are": "You are a patient tutor. ..." -> "a patient tutor". */
  private static String persona(String personality) {
    String text = personality == null ? "" : flatten(personality);
    int end = firstSentenceEnd(text);
    String first = text.substring(0, end).strip();
    if (first.regionMatches(true, 0, "you are ", 0, 8)) {
      first = first.substring(8).strip();
    }
    return first.isEmpty() ? DEFAULT_PERSONA : shorten(first);
  }

  private static int firstSentenceEnd(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '.' || c == '!' || c == '?') {
        return i;
      }
    }
    return text.length();
  }

  private static String flatten(String text) {
    return text == null ? "" : text.strip().replaceAll("\\s+", " ");
  }

  /** At most {@value #QUOTE_CHARS} code points, never splitting a surrogate pair. */
  private static String shorten(String text) {
    if (text.codePointCount(0, text.length()) <= QUOTE_CHARS) {
      return text;
    }
    return text.substring(0, text.offsetByCodePoints(0, QUOTE_CHARS)) + "...";
  }
}
