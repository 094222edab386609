/**
 * Csm: the host side of cshared-matrix's protocol for Java hosts.
 *
 * The same lines as harness/programs/csm.h and harness/programs/csm.py, so the harness
 * judges every host alike: "csm-loaded <what>", "ok N - <check>" /
 * "not ok N - <check>", "csm-done <passed>/<total>". Compiled together with
 * each Java host (javac ... Host.java Csm.java).
 */
public final class Csm {
    private static int total;
    private static int failed;

    private Csm() {}

    /** Path of a built library, from CSM_LIB_<NAME>; exits 2 when the harness did not pass it. */
    public static String lib(String name) {
        String key = "CSM_LIB_" + name.toUpperCase();
        String path = System.getenv(key);
        if (path == null) {
            System.err.println("csm: " + key + " is not set; the harness passes one per library");
            System.exit(2);
        }
        return path;
    }

    /**
     * System.load the library, or print the C hosts' load-failure lines and
     * exit 3: an UnsatisfiedLinkError carries the dynamic loader's own text.
     */
    public static void load(String name) {
        try {
            System.load(lib(name));
        } catch (UnsatisfiedLinkError e) {
            System.err.println("csm-load-failed " + name + ": " + e.getMessage());
            System.out.println("csm-load-failed " + name);
            System.out.flush();
            System.exit(3);
        }
        loaded(name);
    }

    public static void loaded(String what) {
        System.out.println("csm-loaded " + what);
        System.out.flush();
    }

    /** Synchronized: Java hosts check from several threads. */
    public static synchronized boolean check(boolean ok, String desc) {
        total++;
        if (!ok) failed++;
        System.out.println((ok ? "ok " : "not ok ") + total + " - " + desc);
        System.out.flush();
        return ok;
    }

    /** Print the summary and exit: 0 only when every check passed and at least one ran. */
    public static synchronized void done() {
        System.out.println("csm-done " + (total - failed) + "/" + total);
        System.out.flush();
        System.exit(failed == 0 && total > 0 ? 0 : 1);
    }
}
