package org.kvplace.examples;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Writes a grouped bar chart as a PNG (headless java.awt): one group per category, one bar per
 * series, values drawn above the bars.
 */
final class BarChart {

    private static final Color[] PALETTE = {
        new Color(0x4C72B0), new Color(0xDD8452), new Color(0x55A868), new Color(0xC44E52),
        new Color(0x8172B3), new Color(0x937860), new Color(0xDA8BC3), new Color(0x8C8C8C)
    };

    private BarChart() {}

    /**
     * @param values values[category][series]; NaN draws no bar
     */
    static void write(Path file, String title, String yLabel, List<String> categories, List<String> series,
            double[][] values, double yMax) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int groupW = Math.max(60, 18 * series.size() + 24);
        int width = Math.max(640, 90 + groupW * categories.size() + 40);
        int height = 440;
        int left = 70, right = 20, top = 50, bottom = 110;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
            g.drawString(title, left, 24);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            int plotH = height - top - bottom;
            int plotW = width - left - right;
            // axis and grid
            for (int i = 0; i <= 5; i++) {
                double v = yMax * i / 5;
                int y = top + plotH - (int) (plotH * i / 5.0);
                g.setColor(new Color(0xE0E0E0));
                g.drawLine(left, y, left + plotW, y);
                g.setColor(Color.DARK_GRAY);
                g.drawString(String.format(Locale.ROOT, "%.2f", v), 8, y + 4);
            }
            g.setColor(Color.BLACK);
            g.setStroke(new BasicStroke(1f));
            g.drawLine(left, top, left, top + plotH);
            g.drawLine(left, top + plotH, left + plotW, top + plotH);
            g.drawString(yLabel, left, top - 8);
            int gw = plotW / Math.max(1, categories.size());
            int bw = Math.max(4, (gw - 16) / Math.max(1, series.size()));
            for (int c = 0; c < categories.size(); c++) {
                int gx = left + c * gw + 8;
                for (int s = 0; s < series.size(); s++) {
                    double v = values[c][s];
                    if (Double.isNaN(v)) {
                        continue;
                    }
                    int h = (int) Math.round(plotH * Math.min(v, yMax) / yMax);
                    int x = gx + s * bw;
                    g.setColor(PALETTE[s % PALETTE.length]);
                    g.fillRect(x, top + plotH - h, bw - 2, h);
                    if (bw >= 14) {
                        g.setColor(Color.DARK_GRAY);
                        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 9));
                        String label = String.format(Locale.ROOT, "%.2f", v);
                        g.rotate(-Math.PI / 2, x + bw / 2.0 + 3, top + plotH - h - 4);
                        g.drawString(label, x + bw / 2 + 3, top + plotH - h - 4);
                        g.rotate(Math.PI / 2, x + bw / 2.0 + 3, top + plotH - h - 4);
                    }
                }
                g.setColor(Color.BLACK);
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
                String cat = categories.get(c);
                int tw = g.getFontMetrics().stringWidth(cat);
                g.drawString(cat, left + c * gw + Math.max(0, (gw - tw) / 2), top + plotH + 16);
            }
            // legend
            int lx = left;
            int ly = height - 60;
            for (int s = 0; s < series.size(); s++) {
                g.setColor(PALETTE[s % PALETTE.length]);
                g.fillRect(lx, ly, 12, 12);
                g.setColor(Color.BLACK);
                g.drawString(series.get(s), lx + 16, ly + 11);
                lx += 24 + g.getFontMetrics().stringWidth(series.get(s)) + 12;
                if (lx > width - 120) {
                    lx = left;
                    ly += 18;
                }
            }
        } finally {
            g.dispose();
        }
        try (Outputs.AtomicFile f = Outputs.AtomicFile.create(file)) {
            if (!ImageIO.write(img, "png", f.stream())) {
                throw new IOException("no PNG writer for " + file);
            }
            f.commit();
        }
    }
}
