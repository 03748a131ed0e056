package chorus.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The load generator's loop lag probe: a loop kept busy reads as behind by about as long as it was kept. */
class LoopLagTest {

  @Test
  void aLoopHeldBusyReadsAsBehindByAboutThatLong() throws Exception {
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setBlockedThreadCheckInterval(60_000));
    try {
      ClientPool pool = new ClientPool(vertx, 1);
      LoopLag lag = new LoopLag(pool.loops());
      Thread.sleep(300);
      JsonObject idle = lag.take();
      assertTrue(idle.getLong("count") >= 20, "the probe fires every 5 ms: " + idle);
      assertEquals(5, idle.getLong("timer_ms"));

      // the loop does 200 ms of work in one go: the probe's timer due meanwhile fires that late
      CountDownLatch done = new CountDownLatch(1);
      pool.loops().get(0).runOnContext(v -> {
        long until = System.nanoTime() + 200_000_000L;
        while (System.nanoTime() < until) {
          Thread.onSpinWait();
        }
        done.countDown();
      });
      assertTrue(done.await(10, TimeUnit.SECONDS));
      Thread.sleep(50);
      JsonObject busy = lag.take();
      // the timer due within 5 ms of the work's start fired after its end, and the 200 ms it
      // stood still count as the 40 samples it kept from being taken
      assertTrue(busy.getDouble("max_ms") >= 190, busy.encode());
      assertTrue(busy.getLong("count") >= 40 + 5, busy.encode());
      assertTrue(busy.getDouble("mean_ms") > idle.getDouble("mean_ms") + 10, idle + " then " + busy);
      assertTrue(busy.getDouble("max_ms") > idle.getDouble("max_ms"), idle + " then " + busy);
    } finally {
      vertx.close().await();
    }
  }
}
