package chorus.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Parsing what jcmd GC.heap_info and /proc/PID/status print. */
class NodeMemoryTest {

  @Test
  void theWholeHeapsUsedBytesAreTheFirstUsedFigure() {
    String g1 = """
        12345:
         garbage-first heap   total 1048576K, used 204800K [0x00000000c0000000, 0x0000000100000000)
          region size 1024K, 12 young (12288K), 0 survivors (0K)
         Metaspace       used 60000K, committed 61000K, reserved 1114112K
        """;
    assertEquals(204800L * 1024, NodeMemory.heapUsed(g1));
    assertThrows(IllegalArgumentException.class, () -> NodeMemory.heapUsed("nothing here"));
  }

  @Test
  void rssFromProcStatus() {
    String status = "Name:\tjava\nVmPeak:\t 9000000 kB\nVmRSS:\t  312456 kB\nThreads:\t42\n";
    assertEquals(312456L * 1024, NodeMemory.rss(status));
  }
}
