package chorus.ai;

import chorus.shared.bus.ReplyWork;
import io.vertx.core.Future;

/**
 * Answers a conversation as its bot: today the local development provider, later real
 * LLM APIs. A provider gets everything it may use in {@link ReplyWork} (the bot's
 * personality and settings, the recent history oldest first, ending with the user message)
 * and never talks to the database or the event bus: storing the reply, once, under the
 * job's lease, is the verticle's business.
 *
 * <p>Streaming fits this shape: a streaming provider gets an extra method taking a sink
 * for text deltas (which the verticle publishes on the conversation's topic) and still
 * completes with the whole {@link GeneratedReply}, which is what gets stored.
 */
public interface ReplyProvider {
  /** The name by which {@code ai.provider} selects it; also stored in each reply's meta. */
  String name();

  /** The reply to the last user message of {@code work.history()}, in the voice of {@code work.bot()}. */
  Future<GeneratedReply> generate(ReplyWork work);
}
