/**
 * jni: a Java program loads a Go c-shared library with System.load and calls
 * its JNI exports from the main thread and from Java threads; then it checks
 * that the JVM's own uses of signals still work with the Go runtime inside:
 * an exception thrown and caught, and an implicit null check. HotSpot's
 * compiled code does not test for null: it lets the load fault (SIGSEGV) and
 * turns the fault into a NullPointerException in its signal handler, which
 * the Go runtime's handlers, installed after the JVM's, must hand back.
 */
public class Host {
    static native int add(int a, int b);
    static native String greet(String who);
    static native long sumTo(int n);

    /** Compiled by the JIT after the warm-up: its null check is the faulting load. */
    static int hashOf(Object o) {
        return o.hashCode();
    }

    public static void main(String[] args) throws Exception {
        Csm.load("jnigo");
        Csm.check(add(2, 3) == 5, "add(2, 3) == 5");
        Csm.check(add(-40, 2) == -38, "add(-40, 2) == -38");
        String g = greet("jni");
        Csm.check("hello, jni".equals(g), "greet(\"jni\") == \"hello, jni\" (got " + g + ")");
        Csm.check(sumTo(100) == 5050L, "main thread: sumTo(100) == 5050");

        // Threads the Go runtime has never seen, calling in at once.
        long[] got = new long[4];
        Thread[] threads = new Thread[4];
        for (int k = 0; k < 4; k++) {
            final int i = k;
            threads[k] = new Thread(() -> got[i] = sumTo(1000 + i));
            threads[k].start();
        }
        boolean all = true;
        for (int k = 0; k < 4; k++) {
            threads[k].join();
            long n = 1000 + k;
            all &= got[k] == n * (n + 1) / 2;
        }
        Csm.check(all, "4 Java threads: sumTo(1000+k) == (1000+k)(1001+k)/2");

        boolean caught = false;
        try {
            throw new IllegalStateException("thrown after the Go runtime started");
        } catch (IllegalStateException e) {
            caught = e.getMessage().startsWith("thrown after");
        }
        Csm.check(caught, "a Java exception thrown after the load is caught");

        // Warm hashOf up until the JIT compiles it, then hand it null, several times.
        long sum = 0;
        Object o = new Object();
        for (int i = 0; i < 200_000; i++) sum += hashOf(o) & 1;
        int npes = 0;
        for (int i = 0; i < 5; i++) {
            try {
                sum += hashOf(null);
            } catch (NullPointerException e) {
                npes++;
            }
        }
        Csm.check(npes == 5, "an implicit null check (SIGSEGV in compiled code) is a NullPointerException, 5 of 5 (got " + npes + ", " + (sum >= 0) + ")");
        Csm.check(sumTo(10) == 55L, "Go still answers after the JVM's signals: sumTo(10) == 55");
        Csm.done();
    }
}
