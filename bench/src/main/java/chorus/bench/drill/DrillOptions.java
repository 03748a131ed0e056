package chorus.bench.drill;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The drill client's command line; every default keeps a 3-node drill on 2 cores within minutes. */
final class DrillOptions {
  String host = "127.0.0.1";
  int port = 8080;
  /** Conversations of one user with the AI bot: a conversation-profile socket that sends, and a user-profile socket on it too. */
  int solo = 8;
  /** Multi-member conversations (user-profile sockets, every member sends; the bot answers each message). */
  int groups = 4;
  int groupSize = 3;
  /** Each sender's pace: one message per interval (with +-25% jitter) when its conversation is not waiting for replies. */
  long intervalMs = 1500;
  /** A conversation waiting for this many replies holds its senders' next messages (the AI's per-user limit is 2). */
  int maxAwaitedReplies = 2;
  /** 0: run until the stop file appears or SIGTERM/SIGINT. */
  long durationS = 0;
  Path stopFile;
  /** How long the end waits for acks, replies and deliveries to settle, and for presence. */
  long settleTimeoutS = 90;
  long presenceTimeoutS = 20;
  /** An unacknowledged message is sent again (same message_id) after this long on one connection. */
  long resendAfterMs = 4000;
  long backoffBaseMs = 100;
  long backoffMaxMs = 3000;
  Path jwtSecretFile = Path.of(".chorus/dev-jwt-secret");
  String runId = Long.toString(System.currentTimeMillis() % 100_000_000L, 36);
  String pgUrl = env("CHORUS_PG_URL", "");
  String pgHost = env("CHORUS_PG_HOST", "127.0.0.1");
  int pgPort = Integer.parseInt(env("CHORUS_PG_PORT", "5432"));
  String pgDatabase = env("CHORUS_PG_DATABASE", "chorus");
  String pgUser = env("CHORUS_PG_USER", "chorus");
  String pgPassword = env("CHORUS_PG_PASSWORD", "chorus");

  static final String USAGE = """
      usage: java -cp chorus-bench.jar chorus.bench.drill.DrillClient [options]
        --host H --port P          the load balancer (default 127.0.0.1:8080)
        --solo N                   one-user AI conversations (default 8)
        --groups N --group-size K  multi-member conversations (default 4 of 3)
        --interval-ms MS           each sender's pace (default 1500)
        --max-awaited-replies N    hold a conversation's senders while N replies are due (default 2)
        --duration-s S             stop after S seconds (default: at --stop-file or SIGTERM/SIGINT)
        --stop-file PATH           stop when this file exists
        --settle-timeout-s S       the end's wait for acks, replies, deliveries (default 90)
        --presence-timeout-s S     the end's wait for presence to settle (default 20)
        --resend-after-ms MS       resend an unacknowledged message after (default 4000)
        --jwt-secret-file PATH     HMAC key when CHORUS_JWT_SECRET is not set (default .chorus/dev-jwt-secret)
        --run-id ID                prefix of the drill's user ids (default: from the clock)
      PostgreSQL: CHORUS_PG_URL or CHORUS_PG_HOST/PORT/DATABASE/USER/PASSWORD, as the nodes.
      Exit status: 0 nothing lost, duplicated, out of order or unsettled; 1 a check failed; 2 bad usage or setup failure.""";

  static DrillOptions parse(String[] args) {
    DrillOptions o = new DrillOptions();
    List<String> rest = new ArrayList<>(List.of(args));
    while (!rest.isEmpty()) {
      String name = rest.remove(0);
      if (name.equals("--help") || name.equals("-h")) {
        throw new IllegalArgumentException("");
      }
      if (rest.isEmpty()) {
        throw new IllegalArgumentException(name + " needs a value");
      }
      String value = rest.remove(0);
      switch (name) {
        case "--host" -> o.host = value;
        case "--port" -> o.port = Integer.parseInt(value);
        case "--solo" -> o.solo = Integer.parseInt(value);
        case "--groups" -> o.groups = Integer.parseInt(value);
        case "--group-size" -> o.groupSize = Integer.parseInt(value);
        case "--interval-ms" -> o.intervalMs = Long.parseLong(value);
        case "--max-awaited-replies" -> o.maxAwaitedReplies = Integer.parseInt(value);
        case "--duration-s" -> o.durationS = Long.parseLong(value);
        case "--stop-file" -> o.stopFile = Path.of(value);
        case "--settle-timeout-s" -> o.settleTimeoutS = Long.parseLong(value);
        case "--presence-timeout-s" -> o.presenceTimeoutS = Long.parseLong(value);
        case "--resend-after-ms" -> o.resendAfterMs = Long.parseLong(value);
        case "--jwt-secret-file" -> o.jwtSecretFile = Path.of(value);
        case "--run-id" -> o.runId = value;
        default -> throw new IllegalArgumentException("unknown option " + name);
      }
    }
    if (o.solo < 0 || o.groups < 0 || o.solo + o.groups == 0 || o.groupSize < 2 || o.intervalMs < 50) {
      throw new IllegalArgumentException("need --solo or --groups > 0, --group-size >= 2, --interval-ms >= 50");
    }
    return o;
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isEmpty() ? fallback : value;
  }
}
