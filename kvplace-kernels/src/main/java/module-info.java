/**
 * Vector API decode kernels for kvplace. Found by {@code org.kvplace.core.kernel.Kernels.lookup()}
 * through the service it provides; the Vector API module is optional at run time.
 */
module org.kvplace.kernels {
    requires org.kvplace.core;
    requires static jdk.incubator.vector;
}
