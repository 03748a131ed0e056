package chorus.ai;

import chorus.shared.bus.ReplyWork;
import io.vertx.core.Future;

/**
 * Answers a conversation as its bot: the local development provider or a real LLM API
 * (OpenAI-compatible, Anthropic). A provider gets everything it may use in {@link ReplyWork}
 * (the bot's personality and settings, the recent history oldest first, ending with the user
 * message) and never talks to the database or the event bus: publishing deltas and storing
 * the reply, once, under the job's lease, is the verticle's business.
 *
 * <p>Contract: text goes to {@code sink} as it arrives, in order; the future completes with
 * the whole reply (content = the concatenation of the deltas) and its meta: {@code provider},
 * {@code model}, {@code finish_reason} ({@code "stop"}, {@code "length"}, {@code "stopped"} when
 * cancelled...), {@code prompt_tokens}, {@code completion_tokens}, {@code first_token_ms}. When
 * {@code cancellation} fires, the provider aborts upstream and completes successfully with the
 * partial text and {@code finish_reason "stopped"}. A failure for good is a {@link ProviderFailure}.
 */
public interface ReplyProvider {
  /** The name by which {@code ai.provider} (or a bot's {@code provider} setting) selects it; also stored in each reply's meta. */
  String name();

  /** Streams the reply to the last user message of {@code work.history()}, in the voice of {@code work.bot()}. */
  Future<GeneratedReply> generate(ReplyWork work, DeltaSink sink, Cancellation cancellation);
}
