package org.kvplace.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.kvplace.core.kernel.AttentionState;
import org.kvplace.core.kernel.DecodeKernel;
import org.kvplace.core.kernel.Kernels;
import org.kvplace.core.kernel.KvLayerView;
import org.kvplace.core.layout.ElementType;
import org.opentest4j.AssertionFailedError;

/** The kernel contract can fail: kernels broken in small ways do not pass it. */
class DecodeKernelContractSelfTest {

    /** The scalar kernel with one defect switched on. */
    private static final class Broken implements DecodeKernel {
        private final DecodeKernel scalar = Kernels.scalar();
        private final String defect;

        Broken(String defect) {
            this.defect = defect;
        }

        @Override
        public String name() {
            return "broken-" + defect;
        }

        @Override
        public void attend(KvLayerView layer, float[] q, float[] out, int[] pages, int pageCount) {
            scalar.attend(layer, q, out, pages, pageCount);
            if (defect.equals("output")) {
                out[out.length - 1] += 1e-3f;
            }
        }

        @Override
        public void scorePages(KvLayerView layer, float[] q, float[] scores) {
            scalar.scorePages(layer, q, scores);
            if (defect.equals("scores")) {
                scores[0] = Math.nextUp(scores[0]); // one ulp: still a bound, but not the reference's bits
            }
        }

        @Override
        public void attendPages(KvLayerView layer, float[] q, int[] pages, int from, int to, AttentionState state) {
            if (defect.equals("charges") && to > from) {
                layer.chargeRead(pages[from], 1);
            }
            scalar.attendPages(layer, q, pages, from, to, state);
        }
    }

    private static DecodeKernelContract contractOf(String defect) {
        return new DecodeKernelContract() {
            @Override
            protected DecodeKernel kernel() {
                return new Broken(defect);
            }
        };
    }

    @Test
    void shouldFailAKernelWhoseOutputIsOff() {
        assertThrows(AssertionFailedError.class, () -> contractOf("output")
                .shouldMatchTheOracleAndTheReferenceWithinTolerance(64, 16, 100, 2, 2, ElementType.F32, 0));
    }

    @Test
    void shouldFailAKernelWhoseScoresAreNotTheReferenceBits() {
        assertThrows(AssertionFailedError.class, () -> contractOf("scores")
                .shouldScorePagesExactlyAsTheReferenceAndBoundEveryTokenScore(64, 16, 100, 2, 2, ElementType.F32, 0));
    }

    @Test
    void shouldFailAKernelThatChargesWrongBytes() {
        assertThrows(AssertionFailedError.class, () -> contractOf("charges")
                .shouldChargeEachPageReadOnceWithItsBytes(64, 16, 100, 2, 2, ElementType.F32, 0));
    }
}
