package chorus.bench.load;

import java.util.Arrays;

/**
 * A set of longs in one {@code long[]} (open addressing), for the load generator's
 * "which messages has this receiver seen" sets: a run adds millions of keys, and as boxed
 * {@code Long}s in concurrent sets each one was three objects that every young collection of
 * the load generator copied again. Those collections paused it for 20 ms (p50) to 112 ms, about
 * once a second, and a frame arriving during a pause is timed late (docs/bench/findings.md, 50).
 * A primitive array holds no references, so a collection copies it without looking inside.
 * Not thread-safe: the caller locks.
 */
final class LongSet {
  /** Marks an empty slot; the key equal to it is kept aside ({@link #hasEmptyKey}). */
  private static final long EMPTY = Long.MIN_VALUE;

  private long[] slots = newSlots(1 << 10);
  private int size;
  private boolean hasEmptyKey;

  /** Adds {@code key}; false when it was already there. */
  boolean add(long key) {
    if (key == EMPTY) {
      boolean added = !hasEmptyKey;
      hasEmptyKey = true;
      return added;
    }
    int at = find(slots, key);
    if (slots[at] == key) {
      return false;
    }
    slots[at] = key;
    if (++size * 2 > slots.length) {
      grow();
    }
    return true;
  }

  boolean contains(long key) {
    return key == EMPTY ? hasEmptyKey : slots[find(slots, key)] == key;
  }

  int size() {
    return size + (hasEmptyKey ? 1 : 0);
  }

  /** The slot holding {@code key}, or the empty one where it would go. */
  private static int find(long[] slots, long key) {
    int mask = slots.length - 1;
    int at = mix(key) & mask;
    while (slots[at] != EMPTY && slots[at] != key) {
      at = (at + 1) & mask;
    }
    return at;
  }

  private void grow() {
    long[] bigger = newSlots(slots.length * 2);
    for (long key : slots) {
      if (key != EMPTY) {
        bigger[find(bigger, key)] = key;
      }
    }
    slots = bigger;
  }

  private static long[] newSlots(int length) {
    long[] slots = new long[length];
    Arrays.fill(slots, EMPTY);
    return slots;
  }

  /** Keys are a sender in the high half and a count in the low half: spread both over the table. */
  private static int mix(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32));
  }
}
