package org.kvplace.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProfilesTest {

    @Test
    void shouldSizeTheLlamaPresetsAsTheIssueStates() {
        ModelProfile gqa = ModelProfile.preset("llama3.1-8b");
        assertEquals(32, gqa.layers());
        assertEquals(4096, gqa.kvBytesPerToken());
        assertEquals(500_000_000L, gqa.weightBytesPerLayer());
        assertEquals(16_000_000_000L, gqa.totalWeightBytes());
        assertEquals(16384, ModelProfile.preset("llama3.1-8b-mha").kvBytesPerToken());
        assertEquals(8, gqa.withBatch(8).batch());
    }

    @Test
    void shouldCarryTheHardwarePresetNumbers() {
        HardwareProfile g = HardwareProfile.preset("gh200");
        assertEquals(4.9e12, g.fastBandwidth());
        assertEquals(24_000_000_000L, g.fastCapacity());
        assertEquals(450e9, g.slowRead());
        assertEquals(500e9, g.slowDram());
        HardwareProfile h = HardwareProfile.preset("h100-pcie5");
        assertEquals(80_000_000_000L, h.fastCapacity());
        assertEquals(55e9, h.slowWrite());
    }

    @Test
    void shouldRejectUnknownPresetNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HardwareProfile.preset("tpu"));
        assertTrue(e.getMessage().contains("tpu"));
        assertThrows(IllegalArgumentException.class, () -> ModelProfile.preset("gpt5"));
    }

    @Test
    void shouldLoadProfilesFromPropertiesFiles(@TempDir Path dir) throws IOException {
        Path hw = dir.resolve("hw.properties");
        Files.writeString(hw, "fast.bandwidth=2e12\nfast.capacity=1000000\nslow.read=1e11\nslow.write=5e10\n"
                + "slow.dram=2e11\nslow.capacity=4000000\n");
        HardwareProfile p = HardwareProfile.load(hw);
        assertEquals(2e12, p.fastBandwidth());
        assertEquals(1_000_000L, p.fastCapacity());
        assertEquals(5e10, p.slowWrite());
        Path m = dir.resolve("m.properties");
        Files.writeString(m, "layers=4\nkv.bytes.per.token=256\nweight.bytes.per.layer=1000\n");
        ModelProfile mp = ModelProfile.load(m);
        assertEquals(4, mp.layers());
        assertEquals(1, mp.batch());
        assertEquals(256, mp.kvBytesPerToken());
    }

    @Test
    void shouldNameTheMissingOrBadKey(@TempDir Path dir) throws IOException {
        Path hw = dir.resolve("hw.properties");
        Files.writeString(hw, "fast.bandwidth=2e12\nfast.capacity=1000\nslow.read=1e11\nslow.write=-5\n"
                + "slow.dram=2e11\nslow.capacity=4000\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HardwareProfile.load(hw));
        assertTrue(e.getMessage().contains("slow.write"), e.getMessage());
        Path m = dir.resolve("m.properties");
        Files.writeString(m, "layers=4\nweight.bytes.per.layer=1000\n");
        e = assertThrows(IllegalArgumentException.class, () -> ModelProfile.load(m));
        assertTrue(e.getMessage().contains("kv.bytes.per.token"), e.getMessage());
    }

    @Test
    void shouldRejectBadRecordFields() {
        assertThrows(IllegalArgumentException.class, () -> new ModelProfile("m", 0, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new ModelProfile("m", 1, 1, 1, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new HardwareProfile("h", Double.NaN, 1, 1, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new HardwareProfile("h", 1, 0, 1, 1, 1, 1));
    }
}
