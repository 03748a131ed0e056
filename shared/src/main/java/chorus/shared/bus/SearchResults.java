package chorus.shared.bus;

import chorus.shared.domain.StoredMessage;
import java.util.List;

/** One page of search results, newest first; {@code hasMore} says an older page exists. */
public record SearchResults(List<Hit> hits, boolean hasMore) {
  /** A message found, with a short excerpt of its content where the matched words are wrapped in {@code **}. */
  public record Hit(StoredMessage message, String snippet) {}
}
