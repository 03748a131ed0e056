package chorus.shared.bus;

/** An online user sets their activity status ({@code active}, {@code away} or {@code dnd}); answered with {@link StatusSet}. */
public record SetStatus(String userId, String status) {}
