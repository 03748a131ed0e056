package chorus.persistence;

import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;

/**
 * The part of the node configuration ({@code config/node.json}) this verticle reads:
 * {@code pg}, {@code limits} and {@code node}. Defaults are those of node.json. Values
 * may arrive as strings (environment overrides), so numbers and booleans are parsed leniently.
 *
 * @param url a {@code postgresql://user:pass@host:port/db} URL; when non-empty it wins over the separate fields
 * @param schema the schema Chorus's tables live in (created by the migrations when missing)
 * @param poolSize connections for everything but appends
 * @param appendConnections how many append transactions run at once, each on a connection of its own (besides poolSize)
 * @param appendBatchMax the most appends one transaction commits together (see {@link AppendBatcher})
 * @param appendPlanLifetimeMs how long an append connection (and the plans PostgreSQL made on it) is used before it is replaced
 * @param requestTimeoutMs limits.requestTimeoutMs: past it a caller has given up on its request, so a stop waits no longer
 */
public record PersistenceConfig(
    String url,
    String host,
    int port,
    String database,
    String user,
    String password,
    String schema,
    int poolSize,
    int appendConnections,
    int appendBatchMax,
    int appendPlanLifetimeMs,
    boolean migrate,
    int historyPageSize,
    int historyPageMax,
    long requestTimeoutMs,
    String nodeId,
    String nodeInstance) {

  public PersistenceConfig {
    if (!schema.matches("[a-z_][a-z0-9_]{0,62}")) {
      throw new IllegalArgumentException("pg.schema must be a lower-case SQL identifier, got '" + schema + "'");
    }
    if (poolSize < 1) {
      throw new IllegalArgumentException("pg.poolSize must be at least 1, got " + poolSize);
    }
    if (appendConnections < 1) {
      throw new IllegalArgumentException("pg.appendConnections must be at least 1, got " + appendConnections);
    }
    if (appendBatchMax < 1) {
      throw new IllegalArgumentException("pg.appendBatchMax must be at least 1, got " + appendBatchMax);
    }
    if (appendPlanLifetimeMs < 1) {
      throw new IllegalArgumentException("pg.appendPlanLifetimeMs must be positive, got " + appendPlanLifetimeMs);
    }
    if (historyPageMax < 1 || historyPageSize < 1 || historyPageSize > historyPageMax) {
      throw new IllegalArgumentException("limits: need 1 <= historyPageSize <= historyPageMax, got "
          + historyPageSize + " and " + historyPageMax);
    }
  }

  public static PersistenceConfig from(JsonObject config) {
    JsonObject pg = section(config, "pg");
    JsonObject limits = section(config, "limits");
    JsonObject node = section(config, "node");
    return new PersistenceConfig(
        string(pg, "url", ""),
        string(pg, "host", "127.0.0.1"),
        integer(pg, "port", 5432),
        string(pg, "database", "chorus"),
        string(pg, "user", "chorus"),
        string(pg, "password", "chorus"),
        string(pg, "schema", "public"),
        integer(pg, "poolSize", 8),
        integer(pg, "appendConnections", 4),
        integer(pg, "appendBatchMax", 64),
        integer(pg, "appendPlanLifetimeMs", 60_000),
        bool(pg, "migrate", true),
        integer(limits, "historyPageSize", 100),
        integer(limits, "historyPageMax", 500),
        integer(limits, "requestTimeoutMs", 10_000),
        string(node, "id", ""),
        // this run of the node (the launcher adds it to the id): what gateways route appends by
        string(node, "instance", string(node, "id", "")));
  }

  /** Where the reactive client connects: the URL when given, else the separate fields. */
  public PgConnectOptions connectOptions() {
    PgConnectOptions options = !url.isBlank() ? PgConnectOptions.fromUri(url)
        : new PgConnectOptions().setHost(host).setPort(port).setDatabase(database).setUser(user).setPassword(password);
    return options.addProperty("search_path", schema);
  }

  /** The same database for Flyway's JDBC driver, derived from {@link #connectOptions()} so that both always agree. */
  public String jdbcUrl() {
    PgConnectOptions options = connectOptions();
    return "jdbc:postgresql://" + options.getHost() + ":" + options.getPort() + "/" + options.getDatabase();
  }

  /** A requested page size clamped to [1, historyPageMax]; zero or negative means the default page size. */
  public int historyLimit(int requested) {
    return requested <= 0 ? historyPageSize : Math.min(requested, historyPageMax);
  }

  private static JsonObject section(JsonObject config, String name) {
    JsonObject section = config == null ? null : config.getJsonObject(name);
    return section == null ? new JsonObject() : section;
  }

  private static String string(JsonObject section, String key, String fallback) {
    Object value = section.getValue(key);
    return value == null ? fallback : value.toString();
  }

  private static int integer(JsonObject section, String key, int fallback) {
    Object value = section.getValue(key);
    if (value instanceof Number number) {
      return number.intValue();
    }
    return value == null || value.toString().isBlank() ? fallback : Integer.parseInt(value.toString().trim());
  }

  private static boolean bool(JsonObject section, String key, boolean fallback) {
    Object value = section.getValue(key);
    if (value instanceof Boolean b) {
      return b;
    }
    return value == null || value.toString().isBlank() ? fallback : Boolean.parseBoolean(value.toString().trim());
  }
}
