package chorus.shared.domain;

/** A user as stored: the id is the token's subject. */
public record UserProfile(String id, String name, String role) {}
