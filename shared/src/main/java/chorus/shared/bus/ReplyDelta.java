package chorus.shared.bus;

import java.time.Instant;
import java.util.UUID;

/**
 * One piece of a reply being generated, published on the conversation's topic by the AI
 * verticle generating it. {@code index} counts from 1 within the stream; a stream is one
 * generation attempt ({@code streamId}), so a job taken over after its node died streams
 * again under a new id. The final message (stored once) is authoritative.
 *
 * <p>{@code readAtMicros}: when the AI verticle read the piece off the provider's stream, in
 * microseconds since the epoch by its node's clock; a gateway times the piece's dispatch to
 * its sockets from it (the latency Chorus adds to a token). 0 from a sender that does not stamp it.
 */
public record ReplyDelta(UUID conversationId, UUID streamId, UUID jobId, UUID replyToMessageId, int index, String text,
    long readAtMicros) {

  /** This node's clock now, as {@code readAtMicros} counts it. */
  public static long nowMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }
}
