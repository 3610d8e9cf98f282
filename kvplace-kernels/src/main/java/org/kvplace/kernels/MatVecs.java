package org.kvplace.kernels;

/** Chooses the {@link MatVec} implementation once; the Vector API class is loaded only by name. */
final class MatVecs {

    private MatVecs() {}

    static MatVec load(String choice) {
        switch (choice) {
            case "scalar":
                return ScalarMatVec.INSTANCE;
            case "panama":
            case "auto":
                break;
            default:
                throw new IllegalArgumentException(MatVec.PROPERTY + "=" + choice
                        + " is not one of scalar, panama, auto");
        }
        boolean present = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        if (present) {
            try {
                Class<?> c = Class.forName("org.kvplace.kernels.internal.panama.PanamaMatVec");
                return (MatVec) c.getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                if (choice.equals("panama")) {
                    throw new IllegalStateException("cannot load the Vector API matvec: " + e, e);
                }
                warn("the Vector API matvec failed to load (" + e + ")");
                return ScalarMatVec.INSTANCE;
            }
        }
        if (choice.equals("panama")) {
            throw new IllegalStateException(MatVec.PROPERTY + "=panama but the jdk.incubator.vector module is not"
                    + " present; run with --add-modules jdk.incubator.vector");
        }
        warn("jdk.incubator.vector is not present; using scalar matrix-vector products. Run with"
                + " --add-modules jdk.incubator.vector for the vectorised ones.");
        return ScalarMatVec.INSTANCE;
    }

    private static void warn(String message) {
        System.getLogger(MatVecs.class.getName()).log(System.Logger.Level.WARNING, message);
    }

    static final class WarmStartHolder {
        static final MatVec INSTANCE = Holder.INSTANCE == ScalarMatVec.INSTANCE ? Holder.INSTANCE
                : new WarmStartMatVec(ScalarMatVec.INSTANCE, Holder.INSTANCE);

        private WarmStartHolder() {}
    }

    static final class Holder {
        static final MatVec INSTANCE = load(System.getProperty(MatVec.PROPERTY, "auto"));

        private Holder() {}
    }
}
