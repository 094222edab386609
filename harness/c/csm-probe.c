/*
 * csm-probe: a host for any Go c-shared library, generated from nothing but
 * the header `go build -buildmode=c-shared` writes beside it.
 *
 *   csm-probe dlopen <lib.so>...   dlopen each library, then dlsym every export
 *   csm-probe link   <lib.so>...   the libraries were linked at build time (the
 *                                  loader loaded them before main); look every
 *                                  export up in the global scope
 *
 * Exports are read from <lib>.h: every "extern ... name(" line that cgo emits
 * for an //export function. A load failure is reported verbatim (dlerror), so
 * it can be matched against a bug report.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include "csm.h"

/* The header cgo writes declares exports as `extern <type> <name>(<args>);` after
 * the line "End of boilerplate cgo prologue"; the prologue itself declares cgo
 * helpers (_GoStringLen, _GoStringPtr) that the library does not export. */
static int each_export(const char *so, void (*fn)(const char *name, void *ctx), void *ctx) {
    char header[4096];
    size_t n = strlen(so);
    if (n < 3 || n + 1 > sizeof header || strcmp(so + n - 3, ".so") != 0) return -1;
    memcpy(header, so, n - 3);
    strcpy(header + n - 3, ".h");
    FILE *f = fopen(header, "r");
    if (!f) return -1;
    char line[4096];
    int count = 0, past_prologue = 0;
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, "End of boilerplate cgo prologue")) past_prologue = 1;
        if (!past_prologue || strncmp(line, "extern ", 7) != 0) continue;
        char *paren = strchr(line, '(');
        if (!paren) continue;
        char *end = paren;
        while (end > line && isspace((unsigned char)end[-1])) end--;
        char *start = end;
        while (start > line && (isalnum((unsigned char)start[-1]) || start[-1] == '_')) start--;
        if (start == end) continue;
        *end = 0;
        fn(start, ctx);
        count++;
    }
    fclose(f);
    return count;
}

static void check_symbol(const char *name, void *handle) {
    void *sym = dlsym(handle, name);
    CSM_CHECK(sym != NULL, "dlsym(%s)%s%s", name, sym ? "" : ": ", sym ? "" : dlerror());
}

int main(int argc, char **argv) {
    if (argc < 3 || (strcmp(argv[1], "dlopen") != 0 && strcmp(argv[1], "link") != 0)) {
        fprintf(stderr, "usage: csm-probe dlopen|link <lib.so>...\n");
        return 2;
    }
    int linked = strcmp(argv[1], "link") == 0;
    if (linked) CSM_LOADED("linked libraries");
    for (int i = 2; i < argc; i++) {
        /* RTLD_DEFAULT is NULL on glibc, so only a dlopen result can signal failure. */
        void *h = linked ? RTLD_DEFAULT : dlopen(argv[i], RTLD_NOW | RTLD_LOCAL);
        if (!linked && !h) csm_load_failed(argv[i], dlerror());
        if (!linked) CSM_LOADED(argv[i]);
        int n = each_export(argv[i], (void (*)(const char *, void *))check_symbol, h);
        CSM_CHECK(n > 0, "%s: %d exported functions found in its header", argv[i], n);
    }
    return CSM_DONE();
}
