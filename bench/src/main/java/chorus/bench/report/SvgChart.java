package chorus.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small line chart written as SVG by hand (no plotting library in the build): series of
 * (x, y) points, a linear y axis from 0, and an x axis that is linear or "percentile" (the
 * HdrHistogram convention: x = log10(1 / (1 - p/100)), so 90, 99, 99.9 are evenly spaced).
 */
public final class SvgChart {

  public record Series(String label, List<double[]> points) {}

  private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};
  private static final int W = 720;
  private static final int H = 420;
  private static final int LEFT = 70;
  private static final int RIGHT = 180;
  private static final int TOP = 40;
  private static final int BOTTOM = 50;

  private final String title;
  private final String xLabel;
  private final String yLabel;
  private final boolean percentileX;
  private final List<Series> series = new ArrayList<>();

  public SvgChart(String title, String xLabel, String yLabel, boolean percentileX) {
    this.title = title;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
    this.percentileX = percentileX;
  }

  public SvgChart add(String label, List<double[]> points) {
    if (!points.isEmpty()) {
      series.add(new Series(label, points));
    }
    return this;
  }

  public boolean isEmpty() {
    return series.isEmpty();
  }

  /** The x position of a percentile on the log axis; 99.999 is the last point drawn. */
  public static double percentileAxis(double percentile) {
    double p = Math.min(percentile, 99.999);
    return Math.log10(1.0 / (1.0 - p / 100.0));
  }

  private double x(double value) {
    return percentileX ? percentileAxis(value) : value;
  }

  public String render() {
    double maxX = 0;
    double maxY = 0;
    for (Series s : series) {
      for (double[] p : s.points()) {
        maxX = Math.max(maxX, x(p[0]));
        maxY = Math.max(maxY, p[1]);
      }
    }
    maxX = maxX <= 0 ? 1 : maxX;
    maxY = niceCeiling(maxY <= 0 ? 1 : maxY);
    double plotW = W - LEFT - RIGHT;
    double plotH = H - TOP - BOTTOM;
    StringBuilder svg = new StringBuilder();
    svg.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H));
    svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H));
    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%s</text>\n", LEFT, esc(title)));
    // y grid
    for (int i = 0; i <= 5; i++) {
      double v = maxY * i / 5;
      double y = TOP + plotH - plotH * i / 5;
      svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", LEFT, y, LEFT + plotW, y));
      svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", LEFT - 6, y + 4, fmt(v)));
    }
    // x ticks
    if (percentileX) {
      double[] ticks = {0, 90, 99, 99.9, 99.99, 99.999};
      for (double t : ticks) {
        double px = LEFT + plotW * percentileAxis(t) / maxX;
        if (px <= LEFT + plotW + 1) {
          svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", px, TOP, px, TOP + plotH));
          svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s%%</text>\n", px, TOP + plotH + 16, fmt(t)));
        }
      }
    } else {
      for (int i = 0; i <= 5; i++) {
        double v = maxX * i / 5;
        double px = LEFT + plotW * i / 5;
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", px, TOP + plotH + 16, fmt(v)));
      }
    }
    svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>\n", LEFT, TOP, plotW, plotH));
    svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", LEFT + plotW / 2, H - 12, esc(xLabel)));
    svg.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 16 %.1f)\">%s</text>\n",
        TOP + plotH / 2, TOP + plotH / 2, esc(yLabel)));
    for (int s = 0; s < series.size(); s++) {
      String colour = COLOURS[s % COLOURS.length];
      StringBuilder path = new StringBuilder();
      for (double[] p : series.get(s).points()) {
        double px = LEFT + plotW * x(p[0]) / maxX;
        double py = TOP + plotH - plotH * Math.min(p[1], maxY) / maxY;
        path.append(path.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.1f,%.1f", px, py));
        svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"%s\"/>\n", px, py, colour));
      }
      svg.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n", path, colour));
      double ly = TOP + 10 + s * 18;
      svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"4\" fill=\"%s\"/>\n", LEFT + plotW + 10, ly, colour));
      svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", LEFT + plotW + 28, ly + 5, esc(series.get(s).label())));
    }
    return svg.append("</svg>\n").toString();
  }

  /** 1, 2, 2.5, 5 times a power of ten, at or above {@code v}. */
  static double niceCeiling(double v) {
    double magnitude = Math.pow(10, Math.floor(Math.log10(v)));
    for (double step : new double[] {1, 2, 2.5, 5, 10}) {
      if (step * magnitude >= v) {
        return step * magnitude;
      }
    }
    return 10 * magnitude;
  }

  static String fmt(double v) {
    if (v == Math.rint(v)) {
      return String.format(Locale.ROOT, "%d", (long) v);
    }
    return String.format(Locale.ROOT, "%.3f", v).replaceAll("0+$", "");
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
