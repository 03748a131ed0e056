package chorus.ai;

import chorus.shared.bus.ReplyWork;
import chorus.shared.domain.Role;
import chorus.shared.domain.StoredMessage;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.HashMap;
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

  private final Vertx vertx;
  private final long deltaDelayMs;
  private final int failAttempts;

  /** Instant, never failing: the default. */
  LocalReplyProvider() {
    this(null, 0, 0);
  }

  /**
   * @param deltaDelayMs pause before each delta (0: all at once), so streaming, stop and resume can be seen
   * @param failAttempts a job's first N attempts fail as a provider would for good (0: never), so failure and retry can be seen
   */
  LocalReplyProvider(Vertx vertx, long deltaDelayMs, int failAttempts) {
    if (deltaDelayMs > 0 && vertx == null) {
      throw new IllegalArgumentException("a delayed local provider needs a Vertx for its timers");
    }
    this.vertx = vertx;
    this.deltaDelayMs = deltaDelayMs;
    this.failAttempts = failAttempts;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<GeneratedReply> generate(ReplyWork work, DeltaSink sink, Cancellation cancellation) {
    try {
      if (work.attempt() <= failAttempts) {
        return Future.failedFuture(new ProviderFailure("local_fail_attempts", ""));
      }
      GeneratedReply reply = reply(work);
      // word by word, so streaming clients see the same shape of deltas a model gives
      List<String> pieces = List.of(reply.content().split("(?<= )"));
      if (deltaDelayMs <= 0) {
        pieces.forEach(sink::delta);
        return Future.succeededFuture(withUsage(reply, work, reply.content(), pieces.size(), "stop"));
      }
      Promise<GeneratedReply> done = Promise.promise();
      streamSlowly(work, reply, pieces, 0, new StringBuilder(), sink, cancellation, done);
      return done.future();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** One delta per timer tick; a stop between two ticks ends the reply with what was sent. */
  private void streamSlowly(ReplyWork work, GeneratedReply reply, List<String> pieces, int next, StringBuilder sent,
      DeltaSink sink, Cancellation cancellation, Promise<GeneratedReply> done) {
    long timer = vertx.setTimer(deltaDelayMs, t -> {
      if (cancellation.isCancelled()) {
        return;
      }
      sink.delta(pieces.get(next));
      sent.append(pieces.get(next));
      if (next + 1 == pieces.size()) {
        done.tryComplete(withUsage(reply, work, sent.toString(), pieces.size(), "stop"));
      } else {
        streamSlowly(work, reply, pieces, next + 1, sent, sink, cancellation, done);
      }
    });
    cancellation.future().onComplete(stopped -> {
      if (vertx.cancelTimer(timer)) {
        done.tryComplete(withUsage(reply, work, sent.toString(), next, "stopped"));
      }
    });
  }

  /** Token counts as a model would report them: about four characters a token for the prompt, a token per word sent. */
  private static GeneratedReply withUsage(GeneratedReply reply, ReplyWork work, String content, int completionTokens, String finishReason) {
    long promptChars = work.history().stream().mapToLong(m -> m.content() == null ? 0 : m.content().length()).sum()
        + (work.bot().personality() == null ? 0 : work.bot().personality().length());
    Map<String, Object> meta = new HashMap<>(reply.meta());
    meta.put("prompt_tokens", (promptChars + 3) / 4);
    meta.put("completion_tokens", completionTokens);
    meta.put("finish_reason", finishReason);
    return new GeneratedReply(content, meta);
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
