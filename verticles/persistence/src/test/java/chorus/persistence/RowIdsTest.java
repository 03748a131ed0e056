package chorus.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class RowIdsTest {
  @Test
  void anIdIsVersion7WithItsMillisecondFirstAndTheRandomBitsOfAVersion4() {
    UUID random = UUID.fromString("f47ac10b-58cc-4372-a567-0e02b2c3d479");
    UUID id = RowIds.at(0x0191_2c3d_4e5fL, random);
    assertEquals("01912c3d-4e5f-7372-a567-0e02b2c3d479", id.toString());
    assertEquals(7, id.version());
    assertEquals(2, id.variant(), "RFC 9562's variant");
  }

  @Test
  void idsMadeLaterSortAfterAsPostgreSqlComparesUuids() throws InterruptedException {
    UUID first = RowIds.next();
    Thread.sleep(2);
    UUID later = RowIds.next();
    // PostgreSQL orders uuids as unsigned bytes; the first 48 bits are the time
    assertTrue(Long.compareUnsigned(first.getMostSignificantBits(), later.getMostSignificantBits()) < 0, first + " then " + later);
    assertNotEquals(RowIds.next(), RowIds.next(), "ids of the same millisecond differ in their random bits");
  }
}
