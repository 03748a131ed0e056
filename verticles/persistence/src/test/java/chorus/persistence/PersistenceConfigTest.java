package chorus.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import org.junit.jupiter.api.Test;

class PersistenceConfigTest {

  @Test
  void defaultsAreThoseOfNodeJson() {
    PersistenceConfig config = PersistenceConfig.from(new JsonObject());
    assertEquals(8, config.poolSize());
    assertTrue(config.migrate());
    assertEquals(100, config.historyPageSize());
    assertEquals(500, config.historyPageMax());
    PgConnectOptions options = config.connectOptions();
    assertEquals("127.0.0.1", options.getHost());
    assertEquals(5432, options.getPort());
    assertEquals("chorus", options.getDatabase());
    assertEquals("jdbc:postgresql://127.0.0.1:5432/chorus", config.jdbcUrl());
  }

  @Test
  void aUrlWinsOverTheSeparateFields() {
    PersistenceConfig config = PersistenceConfig.from(new JsonObject().put("pg", new JsonObject()
        .put("url", "postgresql://alice:s3cret@db.example:6543/chat").put("host", "ignored").put("database", "ignored")));
    PgConnectOptions options = config.connectOptions();
    assertEquals("db.example", options.getHost());
    assertEquals(6543, options.getPort());
    assertEquals("chat", options.getDatabase());
    assertEquals("alice", options.getUser());
    assertEquals("s3cret", options.getPassword());
    assertEquals("jdbc:postgresql://db.example:6543/chat", config.jdbcUrl());
  }

  @Test
  void valuesFromEnvironmentOverridesMayBeStrings() {
    PersistenceConfig config = PersistenceConfig.from(new JsonObject()
        .put("pg", new JsonObject().put("port", "5433").put("poolSize", "3").put("migrate", "false"))
        .put("node", new JsonObject().put("id", "n1")));
    assertEquals(5433, config.port());
    assertEquals(3, config.poolSize());
    assertFalse(config.migrate());
    assertEquals("n1", config.nodeId());
  }

  @Test
  void theSchemaIsTheSearchPathAndMustBeAPlainIdentifier() {
    assertEquals("public", PersistenceConfig.from(new JsonObject()).connectOptions().getProperties().get("search_path"));
    PersistenceConfig chat = PersistenceConfig.from(new JsonObject().put("pg", new JsonObject().put("schema", "chat_1")));
    assertEquals("chat_1", chat.connectOptions().getProperties().get("search_path"));
    IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> PersistenceConfig.from(new JsonObject().put("pg", new JsonObject().put("schema", "chat; drop table messages"))));
    assertTrue(refused.getMessage().contains("pg.schema"), refused::getMessage);
  }

  @Test
  void historyLimitIsClamped() {
    PersistenceConfig config = PersistenceConfig.from(new JsonObject()
        .put("limits", new JsonObject().put("historyPageSize", 10).put("historyPageMax", 50)));
    assertEquals(10, config.historyLimit(0));
    assertEquals(10, config.historyLimit(-1));
    assertEquals(7, config.historyLimit(7));
    assertEquals(50, config.historyLimit(51));
  }

  @Test
  void nonsenseIsRefusedAtStart() {
    assertThrows(IllegalArgumentException.class, () -> PersistenceConfig.from(new JsonObject()
        .put("pg", new JsonObject().put("poolSize", 0))));
    assertThrows(IllegalArgumentException.class, () -> PersistenceConfig.from(new JsonObject()
        .put("limits", new JsonObject().put("historyPageSize", 600).put("historyPageMax", 500))));
  }
}
