package chorus.shared.bus;

/** @param changed false when it already was this status, or the user has no open socket (then {@code online} is false) */
public record StatusSet(String status, boolean changed, boolean online) {}
