/** The {@code kvplace} command line and the example decode loop on the tiered cache. */
module org.kvplace.examples {
    requires org.kvplace.core;
    requires org.kvplace.kernels;
    requires java.desktop;
    requires jdk.management;
}
