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
 *
 * Then the probe waits for the library's Go runtime to finish initializing.
 * A c-shared library's ELF initializer only starts that on a thread of its own
 * and returns; a host that exits at once can leave before the runtime gets to
 * what breaks it (on musl, reading argv: golang/go#13492), so without the wait
 * the same library "passes" or crashes by a race (measured: 21 of 40 link
 * probes on amd64-musl exited 0). _cgo_wait_runtime_init_done is what every
 * cgo call into the library waits on; gccgo's libraries have no such symbol,
 * and then the probe says so.
 *
 * On Windows the same with LoadLibrary and GetProcAddress, lib<name>.dll
 * beside lib<name>.h. A PE import of a DLL is only kept when one of its
 * symbols is referenced, so the link probe must be linked with one export of
 * each DLL named as undefined (-Wl,-u,<export>, "_<export>" on 386): then the
 * loader loads the DLL before main, and the probe checks that it did
 * (GetModuleHandle). A Go DLL exports only its //export functions, not
 * _cgo_wait_runtime_init_done, so there the runtime's start is not awaited.
 */
#define _GNU_SOURCE
#include "csm.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
typedef HMODULE csm_handle;
#define LIB_SUFFIX ".dll"
static csm_handle probe_open(const char *lib) { return LoadLibraryA(lib); }
static void *probe_sym(csm_handle h, const char *name) { return (void *)(uintptr_t)GetProcAddress(h, name); }
static const char *probe_error(const char *call) { return csm_win_error(call, GetLastError()); }
/* The DLL the loader loaded for the probe's imports, or NULL if it did not. */
static csm_handle probe_linked(const char *lib) { return GetModuleHandleA(lib); }
#else
#include <dlfcn.h>
typedef void *csm_handle;
#define LIB_SUFFIX ".so"
static csm_handle probe_open(const char *lib) { return dlopen(lib, RTLD_NOW | RTLD_LOCAL); }
static void *probe_sym(csm_handle h, const char *name) { return dlsym(h, name); }
static const char *probe_error(const char *call) { return (void)call, dlerror(); }
/* RTLD_DEFAULT (NULL on glibc): the global scope, where linked libraries are. */
static csm_handle probe_linked(const char *lib) { return (void)lib, RTLD_DEFAULT; }
#endif

/* The header cgo writes declares exports as `extern <type> <name>(<args>);` after
 * the line "End of boilerplate cgo prologue"; the prologue itself declares cgo
 * helpers (_GoStringLen, _GoStringPtr) that the library does not export. */
static int each_export(const char *so, void (*fn)(const char *name, void *ctx), void *ctx) {
    char header[4096];
    size_t n = strlen(so);
    size_t k = strlen(LIB_SUFFIX);
    if (n < k || n + 1 > sizeof header || strcmp(so + n - k, LIB_SUFFIX) != 0) return -1;
    memcpy(header, so, n - k);
    strcpy(header + n - k, ".h");
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

/* The library's own copy of the symbol: with several libraries linked, the
 * global scope would only ever find the first one's. */
static void wait_for_go_runtime(const char *so, csm_handle handle, int linked) {
#ifdef _WIN32
    csm_handle own = handle; /* GetModuleHandle already named this DLL */
    (void)linked;
#else
    void *own = linked ? dlopen(so, RTLD_NOW | RTLD_NOLOAD) : handle;
#endif
    uintptr_t (*wait)(void) = (uintptr_t (*)(void))probe_sym(own ? own : handle, "_cgo_wait_runtime_init_done");
    if (!wait) {
#ifdef _WIN32
        printf("# %s: exports no _cgo_wait_runtime_init_done (a Go DLL exports only its //export functions): its runtime start is not awaited\n", so);
#else
        printf("# %s: no _cgo_wait_runtime_init_done (not a gc-built cgo library?): its runtime start is not awaited\n", so);
#endif
        return;
    }
    wait();
    CSM_CHECK(1, "%s: Go runtime initialized", so);
}

static void check_symbol(const char *name, void *handle) {
    void *sym = probe_sym((csm_handle)handle, name);
#ifdef _WIN32
    CSM_CHECK(sym != NULL, "GetProcAddress(%s)%s%s", name, sym ? "" : ": ", sym ? "" : probe_error("GetProcAddress"));
#else
    CSM_CHECK(sym != NULL, "dlsym(%s)%s%s", name, sym ? "" : ": ", sym ? "" : probe_error("dlsym"));
#endif
}

int main(int argc, char **argv) {
    if (argc < 3 || (strcmp(argv[1], "dlopen") != 0 && strcmp(argv[1], "link") != 0)) {
        fprintf(stderr, "usage: csm-probe dlopen|link <lib" LIB_SUFFIX ">...\n");
        return 2;
    }
    int linked = strcmp(argv[1], "link") == 0;
    if (linked) CSM_LOADED("linked libraries");
    for (int i = 2; i < argc; i++) {
        /* RTLD_DEFAULT is NULL on glibc, so only a dlopen result can signal failure. */
        csm_handle h = linked ? probe_linked(argv[i]) : probe_open(argv[i]);
        if (!linked && !h) csm_load_failed(argv[i], probe_error("LoadLibrary"));
        if (!linked) CSM_LOADED(argv[i]);
#ifdef _WIN32
        /* Not loaded means the probe was linked without a reference to it. */
        if (linked && !CSM_CHECK(h != NULL, "%s: loaded by the loader before main (GetModuleHandle)", argv[i])) continue;
#endif
        int n = each_export(argv[i], (void (*)(const char *, void *))check_symbol, (void *)h);
        CSM_CHECK(n > 0, "%s: %d exported functions found in its header", argv[i], n);
        wait_for_go_runtime(argv[i], h, linked);
    }
    return CSM_DONE();
}
