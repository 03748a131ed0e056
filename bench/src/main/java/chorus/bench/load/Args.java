package chorus.bench.load;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code --key value} command-line options with defaults. */
public final class Args {

  private final Map<String, String> values = new HashMap<>();
  private final List<String> positional = new ArrayList<>();

  public Args(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].startsWith("--")) {
        String key = args[i].substring(2);
        int eq = key.indexOf('=');
        if (eq >= 0) {
          values.put(key.substring(0, eq), key.substring(eq + 1));
        } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
          values.put(key, args[++i]);
        } else {
          values.put(key, "true");
        }
      } else {
        positional.add(args[i]);
      }
    }
  }

  public List<String> positional() {
    return positional;
  }

  public String str(String key, String fallback) {
    return values.getOrDefault(key, fallback);
  }

  public int integer(String key, int fallback) {
    return values.containsKey(key) ? Integer.parseInt(values.get(key)) : fallback;
  }

  public long number(String key, long fallback) {
    return values.containsKey(key) ? Long.parseLong(values.get(key)) : fallback;
  }

  public boolean flag(String key) {
    return Boolean.parseBoolean(values.getOrDefault(key, "false"));
  }

  public List<Integer> ints(String key, String fallback) {
    List<Integer> list = new ArrayList<>();
    for (String part : str(key, fallback).split(",")) {
      if (!part.isBlank()) {
        list.add(Integer.parseInt(part.strip()));
      }
    }
    return list;
  }
}
