package chorus.node.support;

import io.vertx.core.VertxOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.metrics.ClientMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Counts the SQL statements a node's database clients send, through Vert.x's own metrics
 * SPI: every statement the pg client executes is one request here (one round trip for a
 * single statement), so the count is measured, not inferred from the code.
 */
public final class SqlQueryCounter implements VertxMetricsFactory {
  private final List<String> statements = new CopyOnWriteArrayList<>();

  @Override
  public VertxMetrics metrics(VertxOptions options) {
    return new VertxMetrics() {
      @Override
      public ClientMetrics<?, ?, ?> createClientMetrics(SocketAddress remoteAddress, String type, String namespace) {
        if (!"sql".equals(type)) {
          return null;
        }
        return new ClientMetrics<Object, Object, Object>() {
          @Override
          public Object requestBegin(String uri, Object request) {
            statements.add(String.valueOf(request));
            return null;
          }
        };
      }
    };
  }

  public int count() {
    return statements.size();
  }

  public List<String> statements() {
    return List.copyOf(statements);
  }

  public void reset() {
    statements.clear();
  }

  /** Waits until no statement has been sent for half a second. */
  public void awaitQuiet() {
    int[] last = {-1};
    long[] since = {System.nanoTime()};
    Await.until("no more statements", Duration.ofSeconds(10), () -> {
      int now = count();
      if (now != last[0]) {
        last[0] = now;
        since[0] = System.nanoTime();
      }
      return System.nanoTime() - since[0] > 500_000_000L;
    });
  }
}
