package org.kvplace.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BarChartTest {

    @TempDir
    Path dir;

    private static BufferedImage read(Path png) throws IOException {
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, png + " is not an image ImageIO can read");
        return image;
    }

    /** Pixels of the first series' colour (0x4C72B0): the bars were drawn. */
    private static long firstSeriesPixels(BufferedImage image) {
        long n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                n += (image.getRGB(x, y) & 0xFFFFFF) == 0x4C72B0 ? 1 : 0;
            }
        }
        return n;
    }

    @Test
    void shouldWriteAReadablePngOfTheSmallestSize() throws IOException {
        String headless = System.getProperty("java.awt.headless");
        Path png = dir.resolve("charts/t.png");
        BarChart.write(png, "title", "tokens/s", List.of("static", "arc", "balance"), List.of("measured", "modelled"),
                new double[][] {{1, 2}, {3, Double.NaN}, {0.5, 0.25}}, 4);
        BufferedImage image = read(png);
        // 3 groups of 2 bars need less than the minimum width of 640
        assertEquals(640, image.getWidth());
        assertEquals(440, image.getHeight());
        assertTrue(firstSeriesPixels(image) > 100, "no bar of the first series drawn");
        assertEquals(headless, System.getProperty("java.awt.headless"), "java.awt.headless changed");
        try (Stream<Path> files = Files.list(png.getParent())) {
            assertEquals(List.of(png.getFileName().toString()), files.map(p -> p.getFileName().toString()).toList(),
                    "a temporary file was left beside the chart");
        }
    }

    @Test
    void shouldWidenTheChartForManyGroupsAndKeepRepeatedNames() throws IOException {
        Path png = dir.resolve("wide.png");
        List<String> categories = IntStream.range(0, 12).mapToObj(i -> i < 6 ? "c" + i : "same").toList();
        double[][] values = new double[12][3];
        for (double[] row : values) {
            java.util.Arrays.fill(row, 0.5);
        }
        BarChart.write(png, "wide", "hit rate", categories, List.of("a", "b", "c"), values, 1.0);
        BufferedImage image = read(png);
        // groups of max(60, 18 x 3 + 24) = 78 pixels: 90 + 12 x 78 + 40
        assertEquals(1066, image.getWidth());
        assertEquals(440, image.getHeight());
    }

    @Test
    void shouldLeaveTheOldChartWhenTheTargetCannotBeWritten() throws IOException {
        Path blocker = Files.writeString(dir.resolve("file"), "x");
        Path png = blocker.resolve("t.png");
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> BarChart.write(png,
                "t", "y", List.of("a"), List.of("s"), new double[][] {{1}}, 1));
        assertTrue(e.getMessage().contains(png.toString()), e.getMessage());
    }
}
