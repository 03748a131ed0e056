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
  /** The start of a line the last chunk cut; null when none (a line is then decoded straight from its chunk). */
  private Buffer partialLine;
  private String event = "";
  /** The event's data: its first line, and the rest once there is more than one (most events have one). */
  private String data;
  private StringBuilder moreData;

  SseParser(int maxLineBytes, EventHandler handler) {
    this.maxLineBytes = maxLineBytes;
    this.handler = handler;
  }

  /**
   * Feeds received bytes; throws a {@link ProviderFailureSignal} on an oversized line. A model
   * sends an event per token, so a whole line in one chunk is decoded from it with no copy
   * in between.
   */
  void feed(Buffer chunk) {
    int start = 0;
    int length = chunk.length();
    for (int i = 0; i < length; i++) {
      if (chunk.getByte(i) == '\n') {
        String text;
        if (partialLine == null) {
          checkLength(0, i - start);
          text = chunk.getString(start, i); // UTF-8; naming the charset would look it up by name per line
        } else {
          append(chunk, start, i);
          text = partialLine.toString(StandardCharsets.UTF_8);
          partialLine = null;
        }
        onLine(text.endsWith("\r") ? text.substring(0, text.length() - 1) : text);
        start = i + 1;
      }
    }
    if (start < length) {
      if (partialLine == null) {
        partialLine = Buffer.buffer(length - start);
      }
      append(chunk, start, length);
    }
  }

  private void append(Buffer chunk, int from, int to) {
    checkLength(partialLine.length(), to - from);
    partialLine.appendBuffer(chunk, from, to - from);
  }

  private void checkLength(int have, int adding) {
    if (have + adding > maxLineBytes) {
      throw new ProviderFailureSignal("line_too_long");
    }
  }

  private void onLine(String text) {
    if (text.isEmpty()) {
      if (data != null) {
        String payload = moreData == null ? data : moreData.toString();
        String name = event;
        data = null;
        moreData = null;
        event = "";
        handler.onEvent(name, payload);
      }
      return;
    }
    if (text.startsWith(":")) {
      return; // a comment, used as a keep-alive
    }
    int colon = text.indexOf(':');
    int fieldEnd = colon < 0 ? text.length() : colon;
    int valueStart = colon < 0 ? text.length() : text.startsWith(" ", colon + 1) ? colon + 2 : colon + 1;
    if (fieldEnd == 4 && text.startsWith("data")) {
      String value = text.substring(valueStart);
      if (data == null) {
        data = value;
      } else {
        if (moreData == null) {
          moreData = new StringBuilder(data);
        }
        moreData.append('\n').append(value);
      }
    } else if (fieldEnd == 5 && text.startsWith("event")) {
      event = text.substring(valueStart);
    }
  }

  /** An event still waiting for its blank line when the body ended (some servers omit the last one). */
  void finish() {
    if (partialLine != null) {
      String text = partialLine.toString(StandardCharsets.UTF_8);
      partialLine = null;
      onLine(text);
    }
    onLine("");
  }
}
