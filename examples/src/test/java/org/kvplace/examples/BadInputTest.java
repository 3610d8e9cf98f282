package org.kvplace.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kvplace.examples.llama.TinyLlama;

/**
 * The command-line half of the bad-input catalogue (docs/bad-input.md): one test per rejected
 * input, each failing without its fix. Numbers refer to the catalogue's items.
 */
class BadInputTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        out.reset();
        err.reset();
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private Path tiny() throws IOException {
        return new TinyLlama().write(dir, "tiny.gguf");
    }

    private Path modelProperties() throws IOException {
        return Files.writeString(dir.resolve("m.properties"),
                "layers=1\nkv.bytes.per.token=16384\nweight.bytes.per.layer=1000000\n");
    }

    private Path textTrace() throws IOException {
        return Files.writeString(dir.resolve("t.txt"), "4,0,0,[1],0\n4,0,1,[],0\n5,0,0,[0 2],0\n");
    }

    private static void assertNoStackTrace(String text) {
        assertFalse(text.contains("\tat ") || text.contains("Exception in thread"), text);
    }

    // ---- 1, 2: a command never writes over its inputs --------------------------------------------

    @Test
    void item1_shouldRefuseToRecordATraceOverTheModelItDecodes() throws IOException {
        Path model = tiny();
        byte[] before = Files.readAllBytes(model);
        assertEquals(2, run("decode", "--model", model.toString(), "--tokens", "4", "--record-trace", model.toString()));
        assertTrue(err().contains("--record-trace " + model + " is the same file as --model " + model), err());
        assertArrayEquals(before, Files.readAllBytes(model), "the model is untouched");

        Path link = Files.createSymbolicLink(dir.resolve("link.kvpt"), model);
        assertEquals(2, run("decode", "--model", model.toString(), "--tokens", "4", "--record-trace", link.toString()));
        assertTrue(err().contains("is the same file as --model"), err());
        assertArrayEquals(before, Files.readAllBytes(model));

        Path hard = Files.createLink(dir.resolve("hard.kvpt"), model);
        assertEquals(2, run("decode", "--model", model.toString(), "--tokens", "4", "--record-trace", hard.toString()));
        assertTrue(err().contains("is the same file as --model"), err());

        // the trace's companion FILE.model.properties counts too
        Path props = Files.copy(model, dir.resolve("x.kvpt.model.properties"));
        assertEquals(2, run("decode", "--model", props.toString(), "--tokens", "4", "--record-trace",
                dir.resolve("x.kvpt").toString()));
        assertTrue(err().contains("x.kvpt.model.properties is the same file as --model"), err());
        assertArrayEquals(before, Files.readAllBytes(props));
    }

    @Test
    void item2_shouldRefuseToWriteATraceOrCsvOverAnInput() throws IOException {
        Path txt = textTrace();
        String text = Files.readString(txt);
        Path m = modelProperties();
        assertEquals(2, run("simulate", "--import-text", txt.toString(), "--write-trace", txt.toString(), "--model",
                m.toString(), "--no-progress"));
        assertTrue(err().contains("--write-trace " + txt + " is the same file as --import-text " + txt), err());
        assertEquals(text, Files.readString(txt));

        Path link = Files.createSymbolicLink(dir.resolve("out.csv"), m);
        String props = Files.readString(m);
        assertEquals(2, run("simulate", "--import-text", txt.toString(), "--model", m.toString(), "--csv",
                link.toString(), "--no-progress"));
        assertTrue(err().contains("--csv " + link + " is the same file as --model " + m), err());
        assertEquals(props, Files.readString(m));

        Path trace = dir.resolve("t.kvpt");
        assertEquals(0, run("simulate", "--import-text", txt.toString(), "--write-trace", trace.toString(),
                "--model", m.toString(), "--policy", "static", "--no-progress"), err());
        byte[] bin = Files.readAllBytes(trace);
        assertEquals(2, run("simulate", "--trace", trace.toString(), "--write-trace", trace.toString(), "--model",
                m.toString(), "--no-progress"));
        assertArrayEquals(bin, Files.readAllBytes(trace));
        assertEquals(2, run("live", "--trace", trace.toString(), "--csv", trace.toString()));
        assertTrue(err().contains("--csv " + trace + " is the same file as --trace " + trace), err());
        assertArrayEquals(bin, Files.readAllBytes(trace));
    }

    @Test
    void item2_shouldLeaveNoFileBehindWhenTheImportFails() throws IOException {
        Path txt = Files.writeString(dir.resolve("bad.txt"), "4,0,0,[1],0\n4,0,0,[1],0\n5,0,0,[0 99],0\n");
        Path trace = dir.resolve("out.kvpt");
        assertEquals(1, run("simulate", "--import-text", txt.toString(), "--write-trace", trace.toString(),
                "--model", modelProperties().toString(), "--no-progress"));
        assertFalse(Files.exists(trace), "no partial trace");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList());
        }
        // 12: the message is the import's, not the writer's
        assertFalse(err().contains("trace incomplete"), err());
        assertTrue(err().contains(txt.toString()), err());
    }

    // ---- 5: tier sizes beyond the machine ----------------------------------------------------------

    @Test
    void item5_shouldRejectAFastTierLargerThanTheMachineAsAUsageError() throws IOException {
        assertEquals(2, run("decode", "--model", tiny().toString(), "--tokens", "4", "--fast-pages", "2147483646"));
        assertTrue(err().contains("--fast-pages 2147483646") && err().contains("this machine has"), err());
        assertNoStackTrace(err());
    }

    @Test
    void item5_shouldRejectHugePagesTimesPagesAsAUsageError() {
        UsageException e = assertThrows(UsageException.class, () -> TierMemory.check(
                "--fast-pages 4000 --page-tokens 65536", 4000, 8, 65536L * 512, 64L << 30));
        assertTrue(e.getMessage().contains("--fast-pages 4000 --page-tokens 65536") && e.getMessage().contains(
                "64.0 GiB"), e.getMessage());
        TierMemory.check("small", 10, 10, 8192, 64L << 30); // fits: no exception
        assertEquals(Long.MAX_VALUE, TierMemory.slabBytes(Integer.MAX_VALUE, Long.MAX_VALUE / 2));
    }

    @Test
    void item5_shouldRejectAHugeDemoAsAUsageError() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertEquals(2,
                run("demo", "--tokens", "1048576", "--layers", "1024")));
        assertTrue(err().contains("--tokens 1048576 --layers 1024") && err().contains("this machine has"), err());
        assertNoStackTrace(err());
    }

    @Test
    void item5_shouldRejectAHugeLiveRunAndCheckItsOutputsFirst() throws IOException {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertEquals(2,
                run("live", "--prompt", "4194304", "--layers", "256")));
        assertTrue(err().contains("--prompt 4194304 --decode 256 --layers 256") && err().contains("this machine has"),
                err());
        assertEquals(2, run("live", "--csv", dir.toString()));
        assertTrue(err().contains("--csv " + dir + ": " + dir + " is a directory"), err());
    }

    // ---- 13: absurd profile values -----------------------------------------------------------------

    @Test
    void item13_shouldRejectTracesThatDecodeNothingAndKvBeyondTheSlowTier() throws IOException {
        assertEquals(1, run("simulate", "--generate", "prompt=100,decode=0,layers=1", "--model",
                modelProperties().toString(), "--no-progress"));
        assertTrue(err().contains("decode=0") && err().contains("decodes no tokens"), err());
        assertFalse(out().contains("NaN") || out().contains("Infinity"), out());

        Path big = Files.writeString(dir.resolve("big.properties"),
                "layers=32\nkv.bytes.per.token=100000000\nweight.bytes.per.layer=1000\n");
        assertEquals(1, run("simulate", "--generate", "prompt=10000,decode=4,layers=32", "--model", big.toString(),
                "--policy", "static", "--no-progress"));
        assertTrue(err().contains("slow.capacity") && err().contains("does not fit"), err());
    }

    @Test
    void item13_shouldNameTheKeyOfAnAbsurdBandwidth() throws IOException {
        Path p = Files.writeString(dir.resolve("hw.properties"), "fast.bandwidth=1e-300\nfast.capacity=24e9\n"
                + "slow.read=450e9\nslow.write=450e9\nslow.dram=500e9\nslow.capacity=480e9\n");
        assertEquals(2, run("simulate", "--profile", p.toString(), "--generate", "prompt=100,decode=4,layers=1",
                "--model", modelProperties().toString(), "--no-progress"));
        assertTrue(err().contains("'fast.bandwidth'") && err().contains("1e-300"), err());
    }

    // ---- 14: I/O errors say what, which file, and why ----------------------------------------------

    @Test
    void item14_shouldSayWhatWasBeingReadAndWhy() throws IOException {
        String missing = dir.resolve("nonexistent.properties").toString();
        assertEquals(1, run("simulate", "--profile", missing, "--no-progress"));
        assertTrue(err().contains("cannot read hardware profile " + missing + " (--profile): no such file"), err());

        Path sub = Files.createDirectory(dir.resolve("sub.properties"));
        assertEquals(1, run("simulate", "--model", sub.toString(), "--no-progress"));
        assertTrue(err().contains("cannot read model profile " + sub + " (--model): a directory, not a file"), err());

        assertEquals(1, run("decode", "--model", dir.toString()));
        assertTrue(err().contains("cannot read model file " + dir + " (--model): a directory"), err());

        assertEquals(1, run("trace", dir.toString()));
        assertTrue(err().contains("cannot read trace " + dir + " (FILE): a directory"), err());

        Path bad = Files.writeString(dir.resolve("esc.properties"), "layers=1\nname=a\\u12\nkv.bytes.per.token=1\n");
        assertEquals(2, run("simulate", "--model", bad.toString(), "--no-progress"));
        assertTrue(err().contains(bad + " (model profile): line 2: malformed"), err());
        assertNoStackTrace(err());
    }

    @Test
    void item14_shouldNameTheLineOfANonAsciiByteInATextTrace() throws IOException {
        Path txt = Files.write(dir.resolve("latin1.txt"), "4,0,0,[1],0\n4,0,1,[],0\n5,0,0,[0 2]\u00e9,0\n"
                .getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(1, run("simulate", "--import-text", txt.toString(), "--model", modelProperties().toString(),
                "--no-progress"));
        assertTrue(err().contains(txt.toString()) && err().contains("line 3") && err().contains("0xE9"), err());
        assertFalse(err().contains("Input length"), err());
        assertNoStackTrace(err());
    }

    @Test
    void item14_shouldRejectAPipeAsATrace() throws Exception {
        Path fifo = dir.resolve("fifo");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assumeTrue(mk.waitFor() == 0, "mkfifo unavailable");
        assertEquals(1, run("simulate", "--trace", fifo.toString(), "--no-progress"));
        assertTrue(err().contains("cannot read trace " + fifo + " (--trace): not a regular file"), err());
    }

    // ---- 15: outputs are checked before the run ----------------------------------------------------

    @Test
    void item15_shouldCheckCsvAndPlotTargetsBeforeTheRun() throws IOException {
        Path csvDir = Files.createDirectory(dir.resolve("csv-is-a-directory"));
        assertEquals(2, run("simulate", "--generate", "prompt=100,decode=4,layers=1", "--model",
                modelProperties().toString(), "--csv", csvDir.toString(), "--no-progress"));
        assertTrue(err().contains("--csv " + csvDir + ": " + csvDir + " is a directory"), err());
        assertEquals("", out(), "nothing ran");

        Path file = Files.writeString(dir.resolve("plain"), "x");
        assertEquals(2, run("simulate", "--generate", "prompt=100,decode=4,layers=1", "--model",
                modelProperties().toString(), "--plot", file.resolve("charts").toString(), "--no-progress"));
        assertTrue(err().contains("--plot " + file.resolve("charts") + ": cannot create directory"), err());
        assertEquals("", out(), "nothing ran");
    }

    // ---- 16: GGUF through the command --------------------------------------------------------------

    @Test
    void item16_shouldNameTheTensorAndFileOfANonFiniteWeight() throws IOException {
        TinyLlama t = new TinyLlama();
        t.poisonAttnK = Float.NaN;
        Path p = t.write(dir, "nan.gguf");
        assertEquals(1, run("decode", "--model", p.toString(), "--tokens", "4"));
        assertTrue(err().contains(p + ": tensor 'blk.1.attn_k.weight' holds a non-finite weight at row 0, column 5"),
                err());
        assertNoStackTrace(err());
    }

    // ---- 17: the demo times attention warm ---------------------------------------------------------

    @Test
    void item17_shouldTimeAStepAfterWarmingUp() {
        AtomicInteger calls = new AtomicInteger();
        double millis = DemoCommand.timeWarm(() -> {
            if (calls.getAndIncrement() == 0) {
                try {
                    Thread.sleep(300); // a cold first call
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        assertEquals(DemoCommand.WARMUP_RUNS + DemoCommand.TIMED_RUNS, calls.get());
        assertTrue(millis < 100, "timed the cold call: " + millis + " ms");
    }

    // ---- 4: nothing unprintable reaches the terminal -----------------------------------------------

    @Test
    void item4_shouldEscapeWhatTheLauncherPrints() {
        assertEquals(2, run("\u001b[2Jwipe"));
        assertTrue(err().contains("unknown command '\\x1b[2Jwipe'"), err());
        assertFalse(err().contains("\u001b"), err());
    }
}
