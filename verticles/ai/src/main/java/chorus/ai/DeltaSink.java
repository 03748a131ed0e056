package chorus.ai;

/**
 * Where a provider puts a reply's text as it arrives: called on the provider's event loop,
 * in order, once per non-empty piece. The concatenation of every delta is the reply's content.
 */
@FunctionalInterface
public interface DeltaSink {
  DeltaSink NONE = text -> {};

  void delta(String text);
}
