/** The {@code kvplace} command line and the example decode loop on the tiered cache. */
@SuppressWarnings("requires-automatic") // JFreeChart ships as an automatic module (org.jfree.jfreechart)
module org.kvplace.examples {
    requires org.kvplace.core;
    requires org.kvplace.kernels;
    requires java.desktop;
    requires jdk.management;
    requires info.picocli;
    requires org.jfree.jfreechart;

    // picocli sets the commands' option fields and creates converters by reflection
    opens org.kvplace.examples to info.picocli;
}
