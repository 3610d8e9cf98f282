package org.kvplace.core.model;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Item 13 of the bad-input catalogue: positive, finite, absurd profile values. */
class ProfileLimitsTest {

    @TempDir
    Path dir;

    private static final String HW = "fast.bandwidth=4.9e12\nfast.capacity=24e9\nslow.read=450e9\nslow.write=450e9\n"
            + "slow.dram=500e9\nslow.capacity=480e9\n";
    private static final String MODEL = "layers=32\nkv.bytes.per.token=16384\nweight.bytes.per.layer=500000000\n";

    private IllegalArgumentException hardwareFails(String key, String value) throws IOException {
        Path p = Files.writeString(dir.resolve("hw.properties"), HW.replaceAll(key.replace(".", "\\.") + "=[^\n]*",
                key + "=" + value));
        return assertThrows(IllegalArgumentException.class, () -> HardwareProfile.load(p));
    }

    private IllegalArgumentException modelFails(String key, String value) throws IOException {
        Path p = Files.writeString(dir.resolve("m.properties"), MODEL.replaceAll(key.replace(".", "\\.") + "=[^\n]*",
                key + "=" + value));
        return assertThrows(IllegalArgumentException.class, () -> ModelProfile.load(p));
    }

    @Test
    void shouldRejectBandwidthsThatMakeTimesInfiniteOrZero() throws IOException {
        for (String key : new String[] {"fast.bandwidth", "slow.read", "slow.write", "slow.dram"}) {
            IllegalArgumentException e = hardwareFails(key, "1e-300");
            assertTrue(e.getMessage().contains("'" + key + "'") && e.getMessage().contains("1e-300"), e.getMessage());
            e = hardwareFails(key, "1e300");
            assertTrue(e.getMessage().contains("'" + key + "'"), e.getMessage());
        }
    }

    @Test
    void shouldRejectCapacitiesAndSizesThatOverflowAByteCount() throws IOException {
        IllegalArgumentException e = modelFails("kv.bytes.per.token", "9e18");
        assertTrue(e.getMessage().contains("'kv.bytes.per.token'") && e.getMessage().contains("9e18"), e.getMessage());
        e = modelFails("weight.bytes.per.layer", "9e18");
        assertTrue(e.getMessage().contains("'weight.bytes.per.layer'"), e.getMessage());
        e = modelFails("layers", "2000000000");
        assertTrue(e.getMessage().contains("'layers'"), e.getMessage());
        e = hardwareFails("slow.capacity", "9.2e18");
        assertTrue(e.getMessage().contains("'slow.capacity'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ModelProfile("m", 1 << 20, 1, Long.MAX_VALUE / 4, 1));
    }

    @Test
    void shouldCheckThatTheKvFitsTheSlowCapacity() {
        CostModel cm = new CostModel(HardwareProfile.gh200(), ModelProfile.llama31_8bMha());
        // 16 KiB per token and layer x 32 layers = 512 KiB per token; gh200 holds 8 GB fast + 480 GB slow
        assertDoesNotThrow(() -> cm.checkFits(40_000));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cm.checkFits(66_000_000));
        assertTrue(e.getMessage().contains("slow.capacity") && e.getMessage().contains("66000000 tokens"),
                e.getMessage());
        CostModel huge = new CostModel(HardwareProfile.gh200(), new ModelProfile("m", 1 << 16, 1L << 32, 1, 1 << 16));
        assertThrows(IllegalArgumentException.class, () -> huge.checkFits(Integer.MAX_VALUE), "no overflow");
    }

    @Test
    void shouldNameTheFileAndLineOfAMalformedEscapeAndTheReasonAFileCannotBeRead() throws IOException {
        Path p = Files.writeString(dir.resolve("esc.properties"), "# a comment\nlayers=1\nname=\\u12G4\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelProfile.load(p));
        assertTrue(e.getMessage().contains(p + " (model profile): line 3: malformed"), e.getMessage());
        IOException io = assertThrows(IOException.class, () -> HardwareProfile.load(dir.resolve("none.properties")));
        assertTrue(io.getMessage().contains("cannot read hardware profile " + dir.resolve("none.properties")
                + ": no such file"), io.getMessage());
        io = assertThrows(IOException.class, () -> HardwareProfile.load(dir));
        assertTrue(io.getMessage().contains("a directory"), io.getMessage());
    }
}
