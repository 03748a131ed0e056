package chorus.persistence;

import io.vertx.pgclient.PgConnectOptions;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Brings the schema up to date with Flyway (scripts in {@code db/migration}). Blocking
 * JDBC: run it on a worker thread. Nodes starting together are serialized by Flyway's
 * PostgreSQL advisory lock, so each migration is applied exactly once.
 */
final class Migrations {
  private Migrations() {}

  static MigrateResult migrate(PersistenceConfig config) {
    PgConnectOptions options = config.connectOptions();
    return Flyway.configure(Migrations.class.getClassLoader())
        .dataSource(config.jdbcUrl(), options.getUser(), options.getPassword())
        .locations("classpath:db/migration")
        .schemas(config.schema())
        .load()
        .migrate();
  }
}
