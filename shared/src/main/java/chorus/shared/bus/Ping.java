package chorus.shared.bus;

/** Readiness probe for the database: answered after a round trip to PostgreSQL. */
public record Ping() {}
