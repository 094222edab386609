/*
 * args on Windows: what os.Args holds inside a Go DLL the host is linked
 * against. A Windows process has one command line, in UTF-16
 * (GetCommandLineW); the C runtime splits it into main()'s argv in the ANSI
 * code page, and Go splits it itself into UTF-8 os.Args. So the host compares
 * os.Args with the command line as Windows gives it (CommandLineToArgvW,
 * converted to UTF-8), and reports main()'s ANSI argv beside it: outside the
 * ASCII range the two spell the same argument differently (é is one byte in
 * code page 1252, two in UTF-8), on Windows as under Wine.
 */
#include "csm.h"

#include <shellapi.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "libargs.h"

/* The process's arguments as Windows splits its command line, in UTF-8. */
static char **utf8_argv(int *argc) {
    LPWSTR *wide = CommandLineToArgvW(GetCommandLineW(), argc);
    if (wide == NULL) return NULL;
    char **argv = calloc((size_t)*argc + 1, sizeof *argv);
    for (int i = 0; argv && i < *argc; i++) {
        int n = WideCharToMultiByte(CP_UTF8, 0, wide[i], -1, NULL, 0, NULL, NULL);
        argv[i] = malloc(n > 0 ? (size_t)n : 1);
        if (argv[i] == NULL || n <= 0 || WideCharToMultiByte(CP_UTF8, 0, wide[i], -1, argv[i], n, NULL, NULL) <= 0) {
            if (argv[i]) argv[i][0] = 0;
        }
    }
    LocalFree(wide);
    return argv;
}

/* An ANSI argument as ASCII, other bytes as \xNN: in code page 1252 they are
 * not UTF-8, and the harness reads the output as UTF-8 text. */
static const char *escaped(const char *arg, char *buf, size_t len) {
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)arg; *p && k + 5 < len; p++)
        k += (size_t)snprintf(buf + k, len - k, *p < 0x80 ? "%c" : "\\x%02x", *p);
    buf[k] = 0;
    return buf;
}

int main(int ansi_argc, char **ansi_argv) {
    /* Linked (an import of libargs.dll): the loader loaded it before main. */
    CSM_LOADED("args");

    int argc = 0;
    char **argv = utf8_argv(&argc);
    if (argv == NULL) {
        CSM_CHECK(0, "CommandLineToArgvW (%s)", csm_win_error("CommandLineToArgvW", GetLastError()));
        return CSM_DONE();
    }
    int n = ArgCount();
    printf("# command line: %d arguments; main()'s ANSI argc = %d (code page %u); Go len(os.Args) = %d\n", argc, ansi_argc,
           GetACP(), n);
    for (int i = 0; i < n; i++) {
        char *arg = ArgAt(i);
        char buf[256];
        printf("# Go os.Args[%d] = \"%s\"; main()'s ANSI argv[%d] = \"%s\"\n", i, arg ? arg : "(null)", i,
               i < ansi_argc ? escaped(ansi_argv[i], buf, sizeof buf) : "(past argc)");
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

    /* The same comparison made by Go, on the UTF-8 argv handed down. */
    int first_bad = ArgsMatch(argc, argv);
    CSM_CHECK(first_bad == -1, "Go's ArgsMatch(argc, argv) finds no difference (first at %d)", first_bad);

    /* os.Args is decoded from the UTF-16 command line, so writing into
     * main()'s argv cannot reach it; reported, as on the other rows. */
    if (ansi_argc > 1 && ansi_argv[1][0] != '\0') {
        ansi_argv[1][0] = 'A';
        char *after = ArgAt(1);
        printf("# after the host wrote 'A' into argv[1][0]: Go os.Args[1] = \"%s\" (%s)\n", after ? after : "(null)",
               after && strcmp(after, ansi_argv[1]) == 0 ? "os.Args aliases argv" : "os.Args is a copy");
        free(after);
    }
    return CSM_DONE();
}
