package chorus.gateway.profile;

import chorus.shared.domain.StoredMessage;
import io.vertx.core.json.JsonObject;
import java.util.function.Function;

/**
 * A committed message's frame, built and encoded once per event loop for all the sockets of
 * that loop that get it, not once per socket: a conversation's feed hands one message to each
 * of its sockets in turn, so remembering the last one is enough. The frame of a message must
 * depend on the message alone (one instance per profile's frame kind).
 *
 * <p>The last frame is remembered per thread. One shared slot was overwritten by the other
 * gateway loop's messages mid-delivery, so with two loops busy nearly every socket encoded
 * the frame again (fan-out profile: encoding was 28% of the delivery path's samples).
 */
final class EncodedOnce {
  private record Last(StoredMessage message, String text) {}

  private final Function<StoredMessage, JsonObject> render;
  private final ThreadLocal<Last> last = new ThreadLocal<>();

  EncodedOnce(Function<StoredMessage, JsonObject> render) {
    this.render = render;
  }

  String text(StoredMessage message) {
    Last seen = last.get();
    if (seen != null && seen.message() == message) {
      return seen.text();
    }
    String text = render.apply(message).encode();
    last.set(new Last(message, text));
    return text;
  }
}
