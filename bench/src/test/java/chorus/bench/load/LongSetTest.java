package chorus.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The load generator's primitive set answers as a java.util.Set would, through growth and for every key. */
class LongSetTest {

  @Test
  void agreesWithAHashSetOnMessageKeysThroughManyGrowths() {
    LongSet set = new LongSet();
    Set<Long> expected = new HashSet<>();
    Random random = new Random(7);
    for (int i = 0; i < 200_000; i++) {
      // message keys of 300 senders, many of them added twice, as duplicates would be
      long key = Payload.key(random.nextInt(300), random.nextInt(1000));
      assertEquals(expected.add(key), set.add(key), "add " + key);
    }
    assertEquals(expected.size(), set.size());
    for (int sender = 0; sender < 300; sender++) {
      for (int n = 0; n < 1000; n++) {
        long key = Payload.key(sender, n);
        assertEquals(expected.contains(key), set.contains(key), "contains " + key);
      }
    }
  }

  @Test
  void keepsTheKeysAtTheEdgesOfTheRange() {
    LongSet set = new LongSet();
    for (long key : new long[] {0, -1, Long.MIN_VALUE, Long.MAX_VALUE}) {
      assertFalse(set.contains(key));
      assertTrue(set.add(key));
      assertFalse(set.add(key), "a second add of " + key + " is a duplicate");
      assertTrue(set.contains(key));
    }
    assertEquals(4, set.size());
  }
}
