package chorus.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The hand-written SVG: axes that read right and one polyline per series. */
class SvgChartTest {

  @Test
  void thePercentileAxisSpacesNinesEvenly() {
    assertEquals(0, SvgChart.percentileAxis(0), 1e-9);
    assertEquals(1, SvgChart.percentileAxis(90), 1e-9);
    assertEquals(2, SvgChart.percentileAxis(99), 1e-9);
    assertEquals(3, SvgChart.percentileAxis(99.9), 1e-6);
    assertEquals(SvgChart.percentileAxis(99.999), SvgChart.percentileAxis(100), 1e-9, "100 would be infinite");
  }

  @Test
  void niceCeilings() {
    assertEquals(1, SvgChart.niceCeiling(0.8));
    assertEquals(50, SvgChart.niceCeiling(41));
    assertEquals(250, SvgChart.niceCeiling(201));
    assertEquals(1000, SvgChart.niceCeiling(1000));
  }

  @Test
  void oneEscapedPolylinePerSeries() {
    String svg = new SvgChart("a <b>", "x", "y", false)
        .add("one", List.of(new double[] {0, 1}, new double[] {10, 5}))
        .add("two", List.of(new double[] {0, 2}, new double[] {10, 3}))
        .add("empty", List.of())
        .render();
    assertTrue(svg.startsWith("<svg"));
    assertTrue(svg.contains("a &lt;b&gt;"));
    assertEquals(2, svg.split("<polyline").length - 1);
    assertTrue(svg.trim().endsWith("</svg>"));
  }
}
