package chorus.bench.load;

/**
 * Where a receiver reports what it got: the current step's tracker (a run has several
 * steps on the same sockets), plus which node the sender was on, for the same-node /
 * cross-node split ({@code senderNode} maps a sender index to its node; null: one node).
 */
public final class Deliveries {

  private volatile Tracker tracker;
  private final int[] senderNode;
  private final int receiverNode;

  public Deliveries(Tracker tracker, int[] senderNode, int receiverNode) {
    this.tracker = tracker;
    this.senderNode = senderNode;
    this.receiverNode = receiverNode;
  }

  public static Deliveries oneNode(Tracker tracker) {
    return new Deliveries(tracker, null, 0);
  }

  public Tracker tracker() {
    return tracker;
  }

  public void tracker(Tracker next) {
    this.tracker = next;
  }

  public void deliver(int receiver, Payload payload, long now) {
    Boolean cross = null;
    if (senderNode != null && payload.sender() >= 0 && payload.sender() < senderNode.length) {
      cross = senderNode[payload.sender()] != receiverNode;
    }
    tracker.delivered(receiver, payload, now, cross);
  }
}
