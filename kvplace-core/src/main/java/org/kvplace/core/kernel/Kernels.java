package org.kvplace.core.kernel;

import java.util.ServiceLoader;

/**
 * Finds the best available {@link DecodeKernel}.
 *
 * <p>Implementations are discovered with {@link ServiceLoader} (the {@code kvplace-kernels} module
 * provides a Vector API kernel); without one, the {@link ScalarDecodeKernel} reference is used and
 * one warning is logged. The system property {@code kvplace.kernels} forces a choice:
 * {@code scalar}, or the {@link DecodeKernel#name()} of a provided kernel (such as {@code panama});
 * {@code auto} (the default) picks the first provided kernel. An unknown value fails with
 * {@link IllegalArgumentException}.
 */
public final class Kernels {

    /** The system property that forces a kernel. */
    public static final String PROPERTY = "kvplace.kernels";

    private Kernels() {}

    private static volatile DecodeKernel instance;

    /**
     * The best available kernel, chosen once per JVM; its {@code toString()} says which it is.
     *
     * @throws IllegalArgumentException if {@value #PROPERTY} names no available kernel (thrown on
     *     every call, not cached, so a corrected property takes effect)
     */
    public static DecodeKernel lookup() {
        DecodeKernel k = instance;
        if (k == null) {
            synchronized (Kernels.class) {
                k = instance;
                if (k == null) {
                    k = load(System.getProperty(PROPERTY, "auto"));
                    instance = k;
                }
            }
        }
        return k;
    }

    /** The scalar reference kernel. */
    public static DecodeKernel scalar() {
        return ScalarDecodeKernel.INSTANCE;
    }

    static DecodeKernel load(String choice) {
        if (choice.equals("scalar")) {
            return ScalarDecodeKernel.INSTANCE;
        }
        StringBuilder found = new StringBuilder("scalar");
        for (DecodeKernel kernel : ServiceLoader.load(DecodeKernel.class, Kernels.class.getClassLoader())) {
            if (choice.equals("auto") || choice.equals(kernel.name())) {
                return kernel;
            }
            found.append(", ").append(kernel.name());
        }
        if (!choice.equals("auto")) {
            throw new IllegalArgumentException(
                    PROPERTY + "=" + choice + " names no available kernel; available: " + found + ", auto");
        }
        System.getLogger(Kernels.class.getName()).log(System.Logger.Level.WARNING,
                "No vectorised decode kernel found; using the scalar reference. Put kvplace-kernels on the "
                        + "module path and run with --add-modules jdk.incubator.vector for the fast kernel.");
        return ScalarDecodeKernel.INSTANCE;
    }
}
