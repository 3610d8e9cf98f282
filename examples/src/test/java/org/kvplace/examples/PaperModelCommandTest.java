package org.kvplace.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kvplace simulate} in the paper author's cost model, on the author's CSV format. */
class PaperModelCommandTest {

    @TempDir
    Path dir;

    private int run(ByteArrayOutputStream out, ByteArrayOutputStream err, String... args) {
        String[] command = new String[args.length + 1];
        command[0] = "simulate";
        System.arraycopy(args, 0, command, 1, args.length);
        return Main.run(command, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private Path csvTrace() throws IOException {
        Path t = dir.resolve("t.csv");
        Files.writeString(t, "n,l,read_kv\n4,0,\"[0,1,3]\"\n5,0,\"[0,4]\"\n");
        return t;
    }

    private Path model() throws IOException {
        Path m = dir.resolve("one.properties");
        // W = 1000 bytes per step, 1000 bytes of KV per token
        Files.writeString(m, "layers=1\nkv.bytes.per.token=1000\nweight.bytes.per.layer=1000\n");
        return m;
    }

    @Test
    void shouldPriceInThePaperModelFromTheOptionOrTheProfileKey() throws IOException {
        Path hw = dir.resolve("hw.properties");
        // B_F 1 MB/s, link 100 + 100 kB/s, DRAM 1 MB/s; 2000 bytes of fast room beside the weights:
        // 2 units. Times below are in ms (bytes over kB/s).
        Files.writeString(hw, "name=toy\ncost.model=paper\nfast.bandwidth=1e6\nfast.capacity=3000\n"
                + "slow.read=1e5\nslow.write=1e5\nslow.dram=1e6\nslow.capacity=1000000\n");
        Path csv = dir.resolve("r.csv");
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = run(out, err, "--import-text", csvTrace().toString(), "--model", model().toString(), "--profile",
                hw.toString(), "--policy", "paper-static,paper-bound", "--csv", csv.toString(), "--no-progress");
        assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("cost model: paper"), out.toString());
        List<String> lines = Files.readAllLines(csv);
        // paper-static keeps token 0 only: the author's add stops at floor(C / u) - 1 = 1 unit.
        // step n=4 reads {0,1,3}: D_R = 4000, W + resident = 2000, alpha = min(1/2, 1000/1100) = 1/2;
        //   T_F = 2000 / 1000 = 2; T_S = max(1000/100, 1000/1000) + 2000/100 = 30
        // step n=5 reads {0,4}: D_R = 3000, alpha = 2/3; T_S = 10 + 1000/100 = 20; total 50
        assertTrue(lines.get(1).startsWith("paper-static,0.0500000000,"), lines.get(1));
        // bound: alpha = min(C_F / D_R, 1000/1100): 3/4 at n=4 (T_S = 10 + 1000/100), 10/11 at n=5
        // (T_S = 10 + (1/11) x 3000/100)
        double bound = (20 + 10 + 3000.0 / 11 / 100) / 1000;
        assertTrue(lines.get(2).startsWith("paper-bound," + String.format(java.util.Locale.ROOT, "%.9g", bound)),
                lines.get(2) + " vs " + bound);
    }

    @Test
    void shouldPrintBothModelsInSeparateTables() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = run(out, err, "--import-text", csvTrace().toString(), "--model", model().toString(),
                "--cost-model", "both", "--policy", "static", "--no-progress");
        assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
        String o = out.toString(StandardCharsets.UTF_8);
        int k = o.indexOf("cost model: kvplace");
        int p = o.indexOf("cost model: paper");
        assertTrue(k >= 0 && p > k, o);
    }

    @Test
    void shouldRejectAnUnknownModelOrAPolicyOfTheOtherModel() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        assertEquals(2, run(out, err, "--import-text", csvTrace().toString(), "--model", model().toString(),
                "--cost-model", "exclusive"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--cost-model: unknown cost model 'exclusive'"),
                err.toString(StandardCharsets.UTF_8));
        err.reset();
        assertEquals(2, run(out, err, "--import-text", csvTrace().toString(), "--model", model().toString(),
                "--cost-model", "paper", "--policy", "balanced-bound"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("paper-bound"), err.toString(StandardCharsets.UTF_8));
        err.reset();
        assertEquals(2, run(out, err, "--import-text", csvTrace().toString(), "--model", model().toString(),
                "--policy", "paper-static"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown policy 'paper-static'"),
                err.toString(StandardCharsets.UTF_8));
    }
}
