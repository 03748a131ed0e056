package chorus.shared.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON objects made fit for a payload record's {@code Map<String, Object>} field: plain,
 * unmodifiable maps and lists all the way down. Records are handed over as-is to local
 * consumers, so nothing in them may change; and the record codec (Jackson) must never meet a
 * Vert.x JsonObject or JsonArray, which it would write as a bean, not as JSON.
 */
public final class PlainJson {
  private PlainJson() {}

  /** An empty map for null. */
  public static Map<String, Object> map(JsonObject json) {
    if (json == null) {
      return Map.of();
    }
    Map<String, Object> map = new LinkedHashMap<>();
    json.forEach(entry -> map.put(entry.getKey(), value(entry.getValue())));
    return Collections.unmodifiableMap(map);
  }

  private static Object value(Object value) {
    if (value instanceof JsonObject object) {
      return map(object);
    }
    if (value instanceof JsonArray array) {
      List<Object> list = new ArrayList<>(array.size());
      array.forEach(item -> list.add(value(item)));
      return Collections.unmodifiableList(list);
    }
    return value;
  }
}
