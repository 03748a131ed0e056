package chorus.ai.provider;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * Splits a server-sent-events body into events as bytes arrive, however the network cuts
 * them. A line is decoded only when whole, so a character split across chunks is intact.
 * A line longer than the cap fails with {@code line_too_long} instead of growing without end.
 */
final class SseParser {
  interface EventHandler {
    void onEvent(String event, String data);
  }

  private final int maxLineBytes;
  private final EventHandler handler;
  private Buffer line = Buffer.buffer();
  private String event = "";
  private StringBuilder data;

  SseParser(int maxLineBytes, EventHandler handler) {
    this.maxLineBytes = maxLineBytes;
    this.handler = handler;
  }

  /** Feeds received bytes; throws a {@link ProviderFailureSignal} on an oversized line. */
  void feed(Buffer chunk) {
    int start = 0;
    for (int i = 0; i < chunk.length(); i++) {
      if (chunk.getByte(i) == '\n') {
        append(chunk, start, i);
        String text = line.toString(StandardCharsets.UTF_8);
        line = Buffer.buffer();
        onLine(text.endsWith("\r") ? text.substring(0, text.length() - 1) : text);
        start = i + 1;
      }
    }
    append(chunk, start, chunk.length());
  }

  private void append(Buffer chunk, int from, int to) {
    if (to > from) {
      if (line.length() + (to - from) > maxLineBytes) {
        throw new ProviderFailureSignal("line_too_long");
      }
      line.appendBuffer(chunk, from, to - from);
    }
  }

  private void onLine(String text) {
    if (text.isEmpty()) {
      if (data != null) {
        String payload = data.toString();
        String name = event;
        data = null;
        event = "";
        handler.onEvent(name, payload);
      }
      return;
    }
    if (text.startsWith(":")) {
      return; // a comment, used as a keep-alive
    }
    int colon = text.indexOf(':');
    String field = colon < 0 ? text : text.substring(0, colon);
    String value = colon < 0 ? "" : text.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    if (field.equals("data")) {
      if (data == null) {
        data = new StringBuilder(value);
      } else {
        data.append('\n').append(value);
      }
    } else if (field.equals("event")) {
      event = value;
    }
  }

  /** An event still waiting for its blank line when the body ended (some servers omit the last one). */
  void finish() {
    if (line.length() > 0) {
      String text = line.toString(StandardCharsets.UTF_8);
      line = Buffer.buffer();
      onLine(text);
    }
    onLine("");
  }
}
