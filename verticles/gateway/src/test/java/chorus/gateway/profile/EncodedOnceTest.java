package chorus.gateway.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import chorus.shared.domain.Role;
import chorus.shared.domain.StoredMessage;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EncodedOnceTest {
  private static StoredMessage message(long seq, String content) {
    return new StoredMessage(UUID.randomUUID(), UUID.randomUUID(), seq, Role.USER, "u1", content, Map.of(), null, null, Instant.EPOCH);
  }

  /** Two event loops delivering different messages at once: each encodes its own message once, whatever the other does. */
  @Test
  void eachLoopEncodesItsMessageOnceWhileTheOtherDeliversAnother() throws Exception {
    AtomicInteger renders = new AtomicInteger();
    EncodedOnce frames = new EncodedOnce(m -> {
      renders.incrementAndGet();
      return new JsonObject().put("seq", m.seq()).put("content", m.content());
    });
    StoredMessage first = message(1, "to the first loop's sockets");
    StoredMessage second = message(2, "to the second loop's sockets");
    ExecutorService loopA = Executors.newSingleThreadExecutor();
    ExecutorService loopB = Executors.newSingleThreadExecutor();
    try {
      List<String> seenByA = new ArrayList<>();
      List<String> seenByB = new ArrayList<>();
      // the two loops take turns, socket by socket, as two busy loops' deliveries interleave
      for (int socket = 0; socket < 100; socket++) {
        seenByA.add(loopA.submit(() -> frames.text(first)).get());
        seenByB.add(loopB.submit(() -> frames.text(second)).get());
      }
      assertEquals(2, renders.get(), "one encoding per message per loop");
      assertEquals(List.of("{\"seq\":1,\"content\":\"to the first loop's sockets\"}"), seenByA.stream().distinct().toList());
      assertEquals(List.of("{\"seq\":2,\"content\":\"to the second loop's sockets\"}"), seenByB.stream().distinct().toList());
      // the next message on a loop is encoded afresh, not served the previous one's frame
      StoredMessage third = message(3, "next");
      assertEquals("{\"seq\":3,\"content\":\"next\"}", loopA.submit(() -> frames.text(third)).get());
      assertEquals(3, renders.get());
    } finally {
      loopA.shutdownNow();
      loopB.shutdownNow();
    }
  }
}
