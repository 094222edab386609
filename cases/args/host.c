/*
 * args: what os.Args holds inside a Go c-shared library, next to the host's
 * own argv. The host is linked against libargs.so, so the Go runtime starts
 * from the library's ELF initializer before main(); glibc calls initializers
 * with (argc, argv, envp) and the runtime builds os.Args from those. Nothing
 * in the ELF standard promises the arguments, and musl passes none
 * (golang/go#13492), which is what this case exists to show.
 */
#include <stdlib.h>
#include <string.h>

#include "csm.h"
#include "libargs.h"

int main(int argc, char **argv) {
    /* Linked (DT_NEEDED): reaching main means the Go runtime has started. */
    CSM_LOADED("args");

    int n = ArgCount();
    printf("# host argc = %d, Go len(os.Args) = %d\n", argc, n);
    for (int i = 0; i < n; i++) {
        char *arg = ArgAt(i);
        printf("# Go os.Args[%d] = \"%s\"\n", i, arg ? arg : "(null)");
        free(arg);
    }

    CSM_CHECK(n == argc, "len(os.Args) == argc == %d (got %d)", argc, n);
    /* Element by element up to the longer of the two, so a missing or extra
     * element is a failed check of its own rather than silently skipped. */
    int longest = n > argc ? n : argc;
    for (int i = 0; i < longest; i++) {
        char *arg = ArgAt(i);
        const char *want = i < argc ? argv[i] : "(past argc)";
        CSM_CHECK(arg != NULL && i < argc && strcmp(arg, want) == 0, "os.Args[%d] == argv[%d] \"%s\" (got \"%s\")", i, i,
                  want, arg ? arg : "(null)");
        free(arg);
    }

    /* The same comparison made by Go, on the host's argv handed down. */
    int first_bad = ArgsMatch(argc, argv);
    CSM_CHECK(first_bad == -1, "Go's ArgsMatch(argc, argv) finds no difference (first at %d)", first_bad);

    /* C99 lets a program overwrite its argv strings (setproctitle-style tools
     * do). The runtime builds os.Args without copying them, so a Go string can
     * change under Go's feet; Go promises nothing here, so it is reported, not
     * checked. Done last, after every check has read os.Args. */
    if (argc > 1 && argv[1][0] != '\0') {
        argv[1][0] = 'A';
        char *after = ArgAt(1);
        printf("# after the host wrote 'A' into argv[1][0]: Go os.Args[1] = \"%s\" (%s)\n", after ? after : "(null)",
               after && strcmp(after, argv[1]) == 0 ? "os.Args aliases argv" : "os.Args is a copy");
        free(after);
    }

    return CSM_DONE();
}
