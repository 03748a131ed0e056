package chorus.shared.bus;

import chorus.shared.domain.StoredMessage;
import java.util.List;

/** A page of history in seq order; {@code hasMore} says another page exists in the direction asked. */
public record HistoryPage(List<StoredMessage> messages, boolean hasMore) {}
