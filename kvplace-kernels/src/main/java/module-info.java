/**
 * Vector API decode kernels for kvplace. Found by {@code org.kvplace.core.kernel.Kernels.lookup()}
 * through the service it provides; the Vector API module is optional at run time: without
 * {@code --add-modules jdk.incubator.vector} the provider hands out the scalar reference kernel and
 * logs one warning.
 */
@SuppressWarnings("module") // the qualified export names a module built after this one
module org.kvplace.kernels {
    requires transitive org.kvplace.core;
    requires static jdk.incubator.vector;
    requires jdk.management; // HotSpotDiagnosticMXBean: is C2 on?

    exports org.kvplace.kernels;
    // The read-bandwidth baseline and stream probes of the benchmarks; not API.
    exports org.kvplace.kernels.internal.panama to org.kvplace.bench;

    provides org.kvplace.core.kernel.DecodeKernel with org.kvplace.kernels.VectorKernelProvider;
}
