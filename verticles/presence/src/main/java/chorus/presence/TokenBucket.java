package chorus.presence;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.Map;

/**
 * A user's message allowance, cluster-wide: refilled continuously at a rate up to a burst.
 * Kept in a Hazelcast map with an idle expiry (config/cluster.xml), taken atomically on the
 * user's partition, so one user's sockets on several nodes share one allowance.
 */
final class TokenBucket implements PresenceWire {
  private double tokens;
  private long updatedMillis;

  /** Takes up to {@code wanted} whole tokens; returns how many it took (0 when none was left). */
  record Take(double perSecond, int burst, long nowMillis, int wanted) implements EntryProcessor<String, TokenBucket, Integer>, PresenceWire {
    @Override
    public Integer process(Map.Entry<String, TokenBucket> entry) {
      TokenBucket bucket = entry.getValue();
      if (bucket == null) {
        bucket = new TokenBucket();
        bucket.tokens = burst;
        bucket.updatedMillis = nowMillis;
      }
      long elapsed = Math.max(0, nowMillis - bucket.updatedMillis);
      bucket.tokens = Math.min(burst, bucket.tokens + elapsed * perSecond / 1000.0);
      bucket.updatedMillis = nowMillis;
      int taken = (int) Math.min(Math.max(1, wanted), Math.floor(bucket.tokens));
      bucket.tokens -= taken;
      entry.setValue(bucket);
      return taken;
    }
  }

  void writeTo(ObjectDataOutput out) throws IOException {
    out.writeDouble(tokens);
    out.writeLong(updatedMillis);
  }

  static TokenBucket readFrom(ObjectDataInput in) throws IOException {
    TokenBucket bucket = new TokenBucket();
    bucket.tokens = in.readDouble();
    bucket.updatedMillis = in.readLong();
    return bucket;
  }
}
