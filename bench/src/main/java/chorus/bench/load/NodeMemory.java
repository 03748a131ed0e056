package chorus.bench.load;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A node's memory from outside: heap used right after a full GC ({@code jcmd GC.run}, then
 * {@code GC.heap_info}) and the process's resident set ({@code VmRSS} in /proc/PID/status).
 */
public final class NodeMemory {

  private static final Pattern HEAP_USED = Pattern.compile("total \\d+K, used (\\d+)K");
  private static final Pattern RSS = Pattern.compile("VmRSS:\\s+(\\d+) kB");

  public record Sample(long heapUsedBytes, long rssBytes) {
    public JsonObject toJson() {
      return new JsonObject().put("heap_used_bytes", heapUsedBytes).put("rss_bytes", rssBytes);
    }
  }

  private NodeMemory() {
  }

  public static Sample sample(long pid) throws IOException, InterruptedException {
    jcmd(pid, "GC.run");
    Thread.sleep(500);
    jcmd(pid, "GC.run");
    return new Sample(heapUsed(jcmd(pid, "GC.heap_info")), rss(Files.readString(Path.of("/proc/" + pid + "/status"))));
  }

  /** The heap's used bytes in {@code GC.heap_info} output (the first "total ..K, used ..K" line: the whole heap). */
  public static long heapUsed(String heapInfo) {
    Matcher m = HEAP_USED.matcher(heapInfo);
    if (!m.find()) {
      throw new IllegalArgumentException("no heap usage in: " + heapInfo);
    }
    return Long.parseLong(m.group(1)) * 1024;
  }

  public static long rss(String procStatus) {
    Matcher m = RSS.matcher(procStatus);
    if (!m.find()) {
      throw new IllegalArgumentException("no VmRSS in /proc status");
    }
    return Long.parseLong(m.group(1)) * 1024;
  }

  private static String jcmd(long pid, String command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("jcmd", String.valueOf(pid), command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("jcmd " + pid + " " + command + " failed: " + out);
    }
    return out;
  }
}
