package chorus.ai.provider;

import io.vertx.core.json.JsonObject;

/**
 * Reads numbers that may arrive as strings: an environment override of a key the file does
 * not hold as a whole number (a temperature, say) comes as text.
 */
final class ConfigValues {
  private ConfigValues() {}

  static long longValue(JsonObject section, String key, long fallback) {
    Object value = section.getValue(key);
    try {
      if (value == null || (value instanceof String s && s.isBlank())) {
        return fallback;
      }
      return value instanceof Number n ? n.longValue() : Long.parseLong(value.toString().strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("ai." + key + " must be a whole number, got '" + value + "'");
    }
  }

  static double doubleValue(JsonObject section, String key, double fallback) {
    Object value = section.getValue(key);
    try {
      if (value == null || (value instanceof String s && s.isBlank())) {
        return fallback;
      }
      return value instanceof Number n ? n.doubleValue() : Double.parseDouble(value.toString().strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("ai." + key + " must be a number, got '" + value + "'");
    }
  }

  static String string(JsonObject section, String key, String fallback) {
    Object value = section.getValue(key);
    String text = value == null ? "" : value.toString().strip();
    return text.isEmpty() ? fallback : text;
  }
}
