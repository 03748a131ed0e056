package chorus.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.Test;

class TimelineTest {

  private static final long SECOND = 1_000_000_000L;
  private static final long MS = 1_000_000L;

  @Test
  void latenciesAreGroupedByTheSecondTheyArrivedIn() {
    long start = 1_000 * SECOND;
    Timeline timeline = new Timeline(start);
    timeline.recordNanos(start + 2 * SECOND + 10 * MS, 40 * MS);
    timeline.recordNanos(start + 100 * MS, 2 * MS);
    timeline.recordNanos(start + 900 * MS, 4 * MS);
    timeline.recordNanos(start - 5 * MS, 1 * MS); // a moment before the start counts in its first second

    JsonArray rows = timeline.toJson();
    assertEquals(2, rows.size(), rows.encode());
    JsonArray first = rows.getJsonArray(0);
    assertEquals(0, first.getInteger(0));
    assertEquals(3, first.getLong(1));
    assertEquals(2.0, first.getDouble(2), 0.01);
    assertEquals(4.0, first.getDouble(3), 0.01);
    JsonArray third = rows.getJsonArray(1);
    assertEquals(2, third.getInteger(0));
    assertEquals(1, third.getLong(1));
    assertEquals(40.0, third.getDouble(3), 0.05);
  }
}
