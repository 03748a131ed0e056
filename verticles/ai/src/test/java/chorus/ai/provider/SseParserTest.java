package chorus.ai.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseParserTest {
  private final List<String> events = new ArrayList<>();
  private final SseParser parser = new SseParser(64, (event, data) -> events.add(event + "|" + data));

  @Test
  void eventsAreCutWhereverTheNetworkCutsThem() {
    String body = "event: a\r\ndata: one\r\n\r\n: comment\n\ndata: two\ndata: lines\n\nid: 7\ndata:tight\n\n";
    for (int i = 0; i < body.length(); i++) {
      parser.feed(Buffer.buffer(body.substring(i, i + 1)));
    }
    assertEquals(List.of("a|one", "|two\nlines", "|tight"), events);
  }

  @Test
  void theSameEventsWhetherTheBodyComesWholeOrCutAtAnyByte() {
    byte[] body = "event: a\r\ndata: caf\u00e9 \uD83D\uDE00\r\n\r\n: keep-alive\n\ndata: two\ndata: lines\n\ndata\n\nevent:b\ndata:x\n\n"
        .getBytes(StandardCharsets.UTF_8);
    List<String> expected = List.of("a|caf\u00e9 \uD83D\uDE00", "|two\nlines", "|", "b|x");
    parser.feed(Buffer.buffer(body));
    assertEquals(expected, events);
    for (int cut = 1; cut < body.length; cut++) {
      events.clear();
      parser.feed(Buffer.buffer(Arrays.copyOfRange(body, 0, cut)));
      parser.feed(Buffer.buffer(Arrays.copyOfRange(body, cut, body.length)));
      assertEquals(expected, events, "cut at byte " + cut);
    }
  }

  @Test
  void aLineOverTheCapFailsWhenItArrivesWhole() {
    ProviderFailureSignal signal = assertThrows(ProviderFailureSignal.class,
        () -> parser.feed(Buffer.buffer("data: " + "x".repeat(59) + "\n\n")));
    assertEquals("line_too_long", signal.kind);
  }

  @Test
  void aLastEventWithoutItsBlankLineIsDeliveredAtTheEnd() {
    parser.feed(Buffer.buffer("data: [DONE]"));
    assertEquals(List.of(), events);
    parser.finish();
    assertEquals(List.of("|[DONE]"), events);
  }

  @Test
  void aLineOverTheCapFailsEvenWhenItArrivesInPieces() {
    parser.feed(Buffer.buffer("data: " + "x".repeat(50)));
    ProviderFailureSignal signal = assertThrows(ProviderFailureSignal.class, () -> parser.feed(Buffer.buffer("y".repeat(20))));
    assertEquals("line_too_long", signal.kind);
  }

  @Test
  void linesUpToTheCapPass() {
    parser.feed(Buffer.buffer("data: " + "x".repeat(58) + "\n\n"));
    assertEquals(1, events.size());
  }
}
