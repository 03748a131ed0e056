package chorus.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Reading a process's JIT compiler CPU from /proc. */
class CompilerCpuTest {

  @Test
  void onlyCompilerThreadsCount() {
    assertEquals(1234 + 56, CompilerCpu.compilerTicks(
        "4242 (C2 CompilerThre) S 4200 4200 4200 0 -1 1077936192 9 0 0 0 1234 56 0 0 20 0 40 0 100 0 0"));
    assertEquals(7 + 1, CompilerCpu.compilerTicks("4243 (C1 CompilerThre) R 4200 4200 4200 0 -1 1077936192 9 0 0 0 7 1 0 0 20 0 40 0 100 0 0"));
    assertEquals(0, CompilerCpu.compilerTicks("4244 (vert.x-eventloo) S 4200 4200 4200 0 -1 1077936192 9 0 0 0 900 90 0 0 20 0 40 0 100 0 0"));
    // a name with spaces and a parenthesis of its own is read to its last ')'
    assertEquals(0, CompilerCpu.compilerTicks("4245 (a (b) c) S 4200 4200 4200 0 -1 1077936192 9 0 0 0 900 90 0 0 20 0 40 0 100 0 0"));
  }

  @Test
  void thisJvmsCompilersHaveWorkedAndAProcessThatIsNotThereReadsUnknown() {
    long self = ProcessHandle.current().pid();
    long before = CompilerCpu.millis(self);
    assertTrue(before > 0, "a running JVM's JIT has compiled something: " + before);
    long sum = 0;
    for (int i = 0; i < 5_000_000; i++) {
      sum += Integer.toString(i).hashCode(); // work to compile
    }
    assertTrue(CompilerCpu.millis(self) >= before, "CPU does not go back: " + sum);
    assertEquals(-1, CompilerCpu.millis(Integer.MAX_VALUE), "no such process");
    assertEquals(-1, CompilerCpu.millis(-1));
  }
}
