package org.kvplace.examples;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * Writes a grouped bar chart as a PNG with JFreeChart: one group per category, one bar per series,
 * a value axis, a legend and the values above the bars.
 *
 * <p><b>Note:</b> the chart is drawn into an image in memory and never shown, so it needs no display;
 * this class does not set {@code java.awt.headless} (the JDK chooses headless by itself where no
 * display is configured).
 */
final class BarChart {

    /** Height of every chart, pixels. */
    static final int HEIGHT = 440;

    private static final Color[] PALETTE = {
        new Color(0x4C72B0), new Color(0xDD8452), new Color(0x55A868), new Color(0xC44E52),
        new Color(0x8172B3), new Color(0x937860), new Color(0xDA8BC3), new Color(0x8C8C8C)
    };

    private BarChart() {}

    /**
     * Width of a chart of {@code categories} groups of {@code series} bars, pixels: at least 640, and
     * room for every group.
     */
    static int width(int categories, int series) {
        int groupWidth = Math.max(60, 18 * series + 24);
        return Math.max(640, 90 + groupWidth * categories + 40);
    }

    /**
     * Writes the chart to {@code file} atomically (see {@link Outputs.AtomicFile}).
     *
     * @param values values[category][series]; NaN draws no bar
     * @param yMax top of the value axis; taller bars are cut there
     * @throws IOException naming the file if it cannot be written
     */
    static void write(Path file, String title, String yLabel, List<String> categories, List<String> series,
            double[][] values, double yMax) throws IOException {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        List<String> columns = unique(categories);
        for (int c = 0; c < columns.size(); c++) {
            for (int s = 0; s < series.size(); s++) {
                double v = values[c][s];
                data.addValue(Double.isNaN(v) ? null : Double.valueOf(v), series.get(s), columns.get(c));
            }
        }
        JFreeChart chart = ChartFactory.createBarChart(title, null, yLabel, data, PlotOrientation.VERTICAL, true,
                false, false);
        chart.setBackgroundPaint(Color.WHITE);
        chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(new Color(0xC0C0C0));
        plot.setOutlineVisible(false);
        NumberAxis axis = (NumberAxis) plot.getRangeAxis();
        axis.setRange(0, yMax);
        axis.setNumberFormatOverride(format());
        CategoryAxis domain = plot.getDomainAxis();
        domain.setMaximumCategoryLabelLines(2);
        domain.setMaximumCategoryLabelWidthRatio(1.6f); // a long name may reach over its neighbours' gaps
        if (categories.size() > 8) {
            domain.setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        }
        BarRenderer bars = (BarRenderer) plot.getRenderer();
        bars.setBarPainter(new StandardBarPainter());
        bars.setShadowVisible(false);
        bars.setItemMargin(0.02);
        for (int s = 0; s < series.size(); s++) {
            bars.setSeriesPaint(s, PALETTE[s % PALETTE.length]);
        }
        bars.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}", format()));
        bars.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 9));
        bars.setDefaultItemLabelsVisible(true);
        // values written upwards, as narrow bars leave no room beside them: inside the top of a bar, or
        // above a bar too short to hold its value (a label above a bar at the top of the axis is cut off)
        bars.setDefaultPositiveItemLabelPosition(new ItemLabelPosition(ItemLabelAnchor.INSIDE12,
                TextAnchor.CENTER_RIGHT, TextAnchor.CENTER_RIGHT, -Math.PI / 2));
        bars.setPositiveItemLabelPositionFallback(new ItemLabelPosition(ItemLabelAnchor.OUTSIDE12,
                TextAnchor.CENTER_LEFT, TextAnchor.CENTER_LEFT, -Math.PI / 2));
        try (Outputs.AtomicFile f = Outputs.AtomicFile.create(file)) {
            ChartUtils.writeChartAsPNG(f.stream(), chart, width(categories.size(), series.size()), HEIGHT);
            f.commit();
        }
    }

    private static DecimalFormat format() {
        return new DecimalFormat("0.00", DecimalFormatSymbols.getInstance(Locale.ROOT));
    }

    /** The categories, a repeated name numbered so that each keeps its own group of bars. */
    private static List<String> unique(List<String> categories) {
        Set<String> seen = new HashSet<>();
        return categories.stream().map(c -> {
            String name = c;
            for (int n = 2; !seen.add(name); n++) {
                name = c + " (" + n + ")";
            }
            return name;
        }).toList();
    }
}
