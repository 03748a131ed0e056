package chorus.gateway.feed;

import java.util.TreeMap;
import java.util.UUID;

/**
 * A reply being generated, as one gateway node has it: the text of deltas 1..lastIndex,
 * contiguous, and deltas that came early, waiting for the gap before them to be filled.
 */
public final class ReplyStream {
  private final UUID streamId;
  private final UUID jobId;
  private final UUID replyToMessageId;
  private final StringBuilder text = new StringBuilder();
  private int lastIndex;
  final TreeMap<Integer, String> pending = new TreeMap<>();
  long snapshotAskedNanos;

  ReplyStream(UUID streamId, UUID jobId, UUID replyToMessageId) {
    this.streamId = streamId;
    this.jobId = jobId;
    this.replyToMessageId = replyToMessageId;
  }

  void append(int index, String piece) {
    text.append(piece);
    lastIndex = index;
  }

  public UUID streamId() {
    return streamId;
  }

  public UUID jobId() {
    return jobId;
  }

  public UUID replyToMessageId() {
    return replyToMessageId;
  }

  public int lastIndex() {
    return lastIndex;
  }

  /** Everything streamed so far (deltas 1..lastIndex). */
  public String text() {
    return text.toString();
  }

  int length() {
    return text.length();
  }

  String textFrom(int offset) {
    return text.substring(offset);
  }
}
