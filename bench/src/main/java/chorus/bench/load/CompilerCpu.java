package chorus.bench.load;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CPU a node's JIT compiler threads have used, read from /proc/PID/task/TID/stat (Linux),
 * so a workload can tell a node still compiling its hot paths from a settled one. CPU, not the
 * JVM's own "total compilation time": that adds each compilation's elapsed time when it ends,
 * and on a machine short of cores a compilation waits for one, so it read 314 ms a second over
 * a round in which the compiler threads used 2-4% of a core (findings 40).
 */
public final class CompilerCpu {

  /** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
  private static final int TICKS_PER_SECOND = 100;

  private CompilerCpu() {
  }

  /** The CPU ms the compiler threads of process {@code pid} have used; -1 when it cannot be read (no such process, no /proc). */
  public static long millis(long pid) {
    if (pid <= 0) {
      return -1;
    }
    long ticks = 0;
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", String.valueOf(pid), "task"))) {
      for (Path task : tasks) {
        String stat;
        try {
          stat = Files.readString(task.resolve("stat"));
        } catch (IOException e) {
          continue; // the thread ended between the listing and the read
        }
        ticks += compilerTicks(stat);
      }
    } catch (IOException e) {
      return -1;
    }
    return ticks * 1000 / TICKS_PER_SECOND;
  }

  /** utime + stime of a thread's stat line when the thread is a JIT compiler ("C1 CompilerThre", "C2 CompilerThre"), else 0. */
  static long compilerTicks(String stat) {
    int open = stat.indexOf('(');
    int close = stat.lastIndexOf(')'); // the name may hold spaces and parentheses itself
    if (open < 0 || close < open) {
      return 0;
    }
    String name = stat.substring(open + 1, close);
    if (!name.startsWith("C1 CompilerThre") && !name.startsWith("C2 CompilerThre")) {
      return 0;
    }
    // after the name: state, ppid, pgrp, session, tty_nr, tpgid, flags, minflt, cminflt, majflt, cmajflt, utime, stime
    String[] fields = stat.substring(close + 2).split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }
}
