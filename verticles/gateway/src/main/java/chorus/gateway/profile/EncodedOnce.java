package chorus.gateway.profile;

import chorus.shared.domain.StoredMessage;
import io.vertx.core.json.JsonObject;
import java.util.function.Function;

/**
 * A committed message's frame, built and encoded once for all the sockets of a node that get
 * it, not once per socket: a conversation's feed hands one message to each of its sockets in
 * turn, so remembering the last one is enough. The frame of a message must depend on the
 * message alone (one instance per profile's frame kind). Safe from any thread: the worst a
 * race does is encode twice.
 */
final class EncodedOnce {
  private record Last(StoredMessage message, String text) {}

  private final Function<StoredMessage, JsonObject> render;
  private volatile Last last;

  EncodedOnce(Function<StoredMessage, JsonObject> render) {
    this.render = render;
  }

  String text(StoredMessage message) {
    Last seen = last;
    if (seen != null && seen.message() == message) {
      return seen.text();
    }
    String text = render.apply(message).encode();
    last = new Last(message, text);
    return text;
  }
}
