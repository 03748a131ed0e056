package chorus.ai;

import chorus.shared.bus.ReplyWork;
import io.vertx.core.Future;

/** Something that answers a conversation as its bot: the local development provider, later real LLM APIs. */
public interface ReplyProvider {
  String name();

  /** The reply to the last user message of {@code work.history()}, in the voice of {@code work.bot()}. */
  Future<GeneratedReply> generate(ReplyWork work);
}
