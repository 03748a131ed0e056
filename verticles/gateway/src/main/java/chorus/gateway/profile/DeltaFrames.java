package chorus.gateway.profile;

import chorus.gateway.feed.ReplyStream;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.util.UUID;

/**
 * One socket's {@code assistant_delta} frames for one conversation, encoded as text directly.
 * It is the most frequent frame there is (one per token per socket), and building a
 * JsonObject per token to encode it was about a fifth of the AI path's allocation (JFR, 3
 * December). The fields that name the stream are encoded once per stream; per token only the
 * index, the text and what follows are. The text is what encoding the frame's JsonObject
 * gives, the same fields in the same order.
 */
final class DeltaFrames {
  private static final JsonStringEncoder JSON = JsonStringEncoder.getInstance();

  private final String conversationId;
  private UUID streamId;
  private String head;

  DeltaFrames(UUID conversationId) {
    this.conversationId = conversationId.toString();
  }

  /**
   * The frame for delta {@code index} of {@code stream}; {@code timestamp} (an ISO instant,
   * {@link Frames#now}) is left out when null, as the conversation profile's frame has none.
   */
  String encode(ReplyStream stream, int index, String text, boolean resumed, String timestamp) {
    if (!stream.streamId().equals(streamId)) {
      streamId = stream.streamId();
      head = "{\"type\":\"assistant_delta\",\"conversation_id\":\"" + conversationId
          + "\",\"reply_to\":\"" + stream.replyToMessageId() + "\",\"stream_id\":\"" + streamId + "\",\"index\":";
    }
    StringBuilder frame = new StringBuilder(head.length() + text.length() + 64).append(head).append(index).append(",\"delta\":\"");
    JSON.quoteAsString(text, frame);
    frame.append('"');
    if (resumed) {
      frame.append(",\"resumed\":true");
    }
    if (timestamp != null) {
      frame.append(",\"timestamp\":\"").append(timestamp).append('"'); // digits, '-', ':', '.', 'T', 'Z': nothing to escape
    }
    return frame.append('}').toString();
  }
}
