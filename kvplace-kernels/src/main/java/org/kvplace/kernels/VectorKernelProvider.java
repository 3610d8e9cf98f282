package org.kvplace.kernels;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.Optional;
import org.kvplace.core.kernel.AttentionState;
import org.kvplace.core.kernel.DecodeKernel;
import org.kvplace.core.kernel.Kernels;
import org.kvplace.core.kernel.KvLayerView;

/**
 * The {@link DecodeKernel} service of this module: the Vector API kernel ({@code "panama"}) when
 * the {@code jdk.incubator.vector} module is present and readable and the JVM runs its optimising
 * compiler (C2), else the scalar reference with one warning that says why.
 *
 * <p>On the module path {@link java.util.ServiceLoader} calls {@link #provider()}, which returns
 * the chosen kernel itself. On the class path (where {@code META-INF/services} names this class) it
 * calls the public constructor, and the instance delegates to the same kernel. The choice is made
 * once per class loader, and the Vector API classes are loaded by name only after the check, so the
 * fallback path never touches them.
 *
 * <p>Thread-safe and stateless, like the kernel it delegates to.
 */
public final class VectorKernelProvider implements DecodeKernel {

    private static final String VECTOR_MODULE = "jdk.incubator.vector";
    private static final String PANAMA_KERNEL = "org.kvplace.kernels.internal.panama.PanamaDecodeKernel";

    private final DecodeKernel delegate;

    /** For {@link java.util.ServiceLoader} on the class path: delegates to {@link #provider()}. */
    public VectorKernelProvider() {
        this.delegate = Holder.INSTANCE;
    }

    /**
     * The kernel this module provides: the Vector API kernel, or the scalar reference when the
     * Vector API is unavailable.
     *
     * @return a shared, thread-safe kernel
     */
    public static DecodeKernel provider() {
        return Holder.INSTANCE;
    }

    /**
     * {@link Kernels#lookup()} without its cold phase: when it is this module's Vector API kernel, a
     * kernel that computes with the scalar reference until the Vector API kernel has been compiled
     * (the first call starts a trial on a daemon thread that runs both on random pages of that
     * call's layout and switches once the vector kernel is no slower), else the scalar reference
     * or whatever {@link Kernels#lookup()} chose otherwise (for example the scalar reference forced
     * by its property). Each call runs wholly on one of the two, so its result is within the
     * equivalence tolerances of the provider's, but which kernel a call gets depends on timing: use
     * {@link #provider()} where runs must agree bit for bit. One shared instance per process; give it
     * to a cache with {@code TieredKvCache.Builder.kernel}.
     *
     * @return a shared, thread-safe kernel
     */
    public static DecodeKernel warmStart() {
        return WarmStartHolder.INSTANCE;
    }

    /** Whether the Vector API kernel is active (the incubator module was present and readable). */
    public static boolean vectorized() {
        return Holder.INSTANCE != Kernels.scalar();
    }

    static DecodeKernel create() {
        Optional<Module> vector = ModuleLayer.boot().findModule(VECTOR_MODULE);
        if (vector.isEmpty() || !VectorKernelProvider.class.getModule().canRead(vector.get())) {
            return fallback("the " + VECTOR_MODULE + " module is not " + (vector.isEmpty() ? "present" : "readable")
                    + "; run with --add-modules " + VECTOR_MODULE + " for the vectorised decode kernel");
        }
        String noC2 = withoutOptimizingCompiler();
        if (noC2 != null) {
            return fallback("the JVM runs without its optimising compiler (" + noC2 + "), and without it the "
                    + "Vector API allocates every vector and is slower than scalar code");
        }
        try {
            return (DecodeKernel) Class.forName(PANAMA_KERNEL).getMethod("create").invoke(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            Throwable cause = e;
            while (cause.getCause() != null && cause.getCause() != cause) {
                cause = cause.getCause(); // the root says what was wrong, e.g. a bad vector width property
            }
            return fallback("the vectorised decode kernel could not start (" + cause + ")");
        }
    }

    /**
     * The flag that keeps HotSpot's C2 compiler from running ({@code -Xint},
     * {@code -XX:TieredStopAtLevel} below 4), or {@code null} when C2 runs or the JVM does not say.
     */
    static String withoutOptimizingCompiler() {
        try {
            HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            if (vm == null) {
                return null;
            }
            if (!Boolean.parseBoolean(vm.getVMOption("UseCompiler").getValue())) {
                return "-Xint";
            }
            if (Boolean.parseBoolean(vm.getVMOption("TieredCompilation").getValue())) {
                int level = Integer.parseInt(vm.getVMOption("TieredStopAtLevel").getValue());
                if (level < 4) {
                    return "-XX:TieredStopAtLevel=" + level;
                }
            }
            return null;
        } catch (RuntimeException e) {
            return null; // not HotSpot, or an option it does not have: nothing to say
        }
    }

    private static DecodeKernel fallback(String why) {
        System.getLogger(VectorKernelProvider.class.getName()).log(System.Logger.Level.WARNING,
                "kvplace: using the scalar reference decode kernel: " + why);
        return Kernels.scalar();
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public void attend(KvLayerView layer, float[] q, float[] out, int[] pages, int pageCount) {
        delegate.attend(layer, q, out, pages, pageCount);
    }

    @Override
    public void scorePages(KvLayerView layer, float[] q, float[] scores) {
        delegate.scorePages(layer, q, scores);
    }

    @Override
    public void attendPages(KvLayerView layer, float[] q, int[] pages, int from, int to, AttentionState state) {
        delegate.attendPages(layer, q, pages, from, to, state);
    }

    @Override
    public String toString() {
        return delegate.toString();
    }

    private static final class Holder {
        static final DecodeKernel INSTANCE = create();
    }

    private static final class WarmStartHolder {
        static final DecodeKernel INSTANCE = create();

        private static DecodeKernel create() {
            DecodeKernel chosen = Kernels.lookup();
            boolean vector = Holder.INSTANCE != Kernels.scalar() && chosen.name().equals(Holder.INSTANCE.name());
            return vector ? new WarmStartKernel(Kernels.scalar(), Holder.INSTANCE) : chosen;
        }
    }
}
