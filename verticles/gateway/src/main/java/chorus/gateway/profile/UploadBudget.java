package chorus.gateway.profile;

/**
 * The bytes of unfinished uploads this node holds in memory, all sockets together, against
 * {@code uploads.maxBufferedBytesPerNode}. Used on the gateway's event loop only.
 */
final class UploadBudget {
  private final long maxBytes;
  private long held;

  UploadBudget(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** Takes {@code bytes} from the budget; false (nothing taken) when that would go over it. */
  boolean take(long bytes) {
    if (held + bytes > maxBytes) {
      return false;
    }
    held += bytes;
    return true;
  }

  void release(long bytes) {
    held = Math.max(0, held - bytes);
  }
}
