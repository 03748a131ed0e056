package chorus.gateway.feed;

import chorus.shared.bus.TypingChanged;
import chorus.shared.domain.StoredMessage;

/**
 * One socket's view of a conversation: it receives the conversation's messages in seq
 * order, each once, from its starting cursor on. While it catches up from the database
 * the live messages are held back, then merged; the seq filter drops what it already has.
 */
public abstract class FeedListener {
  private long cursor;
  private boolean live;
  private java.util.ArrayDeque<StoredMessage> held = new java.util.ArrayDeque<>();
  /** Per reply stream: {characters, last index} of its text this listener was given. */
  private final java.util.Map<java.util.UUID, int[]> streamSeen = new java.util.HashMap<>();

  protected FeedListener(long cursor) {
    this.cursor = cursor;
  }

  /** The seq of the last message this listener has been given. */
  public final long cursor() {
    return cursor;
  }

  final void accept(StoredMessage message) {
    if (live) {
      emit(message);
    } else {
      held.add(message);
    }
  }

  final void emit(StoredMessage message) {
    if (message.seq() <= cursor) {
      return;
    }
    cursor = message.seq();
    onMessage(message);
  }

  final void goLive() {
    live = true;
    for (StoredMessage message : held) {
      emit(message);
    }
    held = null;
  }

  /**
   * The stream grew: give this listener exactly what it lacks, as one piece ending at the
   * stream's last index (a single delta when it was up to date, the text so far when it just
   * joined). Nothing while it still replays history: going live catches it up.
   */
  final void streamAdvanced(ReplyStream stream) {
    if (!live) {
      return;
    }
    int[] seen = streamSeen.computeIfAbsent(stream.streamId(), id -> new int[2]);
    int have = seen[0];
    if (stream.length() <= have) {
      return;
    }
    // more than the next delta at once: the text so far of a stream joined late, or a filled gap
    boolean resumed = stream.lastIndex() > seen[1] + 1;
    seen[0] = stream.length();
    seen[1] = stream.lastIndex();
    onReplyText(stream, stream.lastIndex(), stream.textFrom(have), resumed);
  }

  final void streamEnded(java.util.UUID streamId) {
    streamSeen.remove(streamId);
  }

  /**
   * Text of a reply being generated, in order, each character once: {@code text} covers the
   * stream's deltas up to {@code index}; {@code resumed} when it covers more than one delta
   * (the text so far of a stream this listener joined in the middle, or a gap filled).
   */
  protected void onReplyText(ReplyStream stream, int index, String text, boolean resumed) {}

  /** Called on the gateway's event loop, in seq order, once per message. */
  protected abstract void onMessage(StoredMessage message);

  /** A member was removed from the conversation (possibly this listener's user). */
  protected void onMemberRemoved(String userId) {}

  /** Someone started or stopped typing; not ordered with messages, never stored. */
  protected void onTyping(TypingChanged typing) {}

  /** Any other event of the conversation (a read receipt, a reaction): delivered as it arrives. */
  protected void onConversationEvent(Object event) {}
}
