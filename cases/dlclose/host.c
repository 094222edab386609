/*
 * dlclose: a Go runtime cannot be unloaded (its threads and goroutines would
 * be left running unmapped code), so Go links c-shared libraries with
 * -z nodelete (DF_1_NODELETE) and dlclose() leaves them in place. This checks
 * that contract: after dlclose() the old function pointers still work, the
 * library is still resident, and dlopen() again gives the same handle, the same
 * symbol addresses and the same Go state, a counter kept by a goroutine.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <link.h>

#include "csm.h"
/* Included only for the prototype; the host dlopen()s the library. */
#include "libcounter.h"

#define CYCLES 10

typedef __typeof__(&Bump) bump_fn;

/* DT_FLAGS_1 of a loaded object, read from its dynamic section in memory. */
static int has_nodelete(void *handle) {
    struct link_map *lm = NULL;
    if (dlinfo(handle, RTLD_DI_LINKMAP, &lm) != 0 || lm == NULL) return -1;
    for (ElfW(Dyn) *d = lm->l_ld; d->d_tag != DT_NULL; d++)
        if (d->d_tag == DT_FLAGS_1) return (d->d_un.d_val & DF_1_NODELETE) != 0;
    return 0;
}

/* The same sequence on a plain C library, reported rather than checked: that
 * glibc unmaps a library at its last dlclose() is its policy (musl never
 * does), but it shows that the checks above would notice an unload. */
static void control(void) {
    const char *path = csm_lib("plainc");
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    int (*bump)(void) = h ? (int (*)(void))dlsym(h, "plainc_bump") : NULL;
    if (bump == NULL) {
        printf("# control: cannot load libplainc.so: %s\n", dlerror());
        return;
    }
    bump();
    bump();
    dlclose(h);
    void *resident = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    void *h2 = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    int (*bump2)(void) = h2 ? (int (*)(void))dlsym(h2, "plainc_bump") : NULL;
    int n = bump2 ? bump2() : -1;
    printf("# control: libplainc.so (no DF_1_NODELETE) after dlclose(): %s; reopened, its counter says %d (%s)\n",
           resident ? "still resident" : "unloaded", n, n == 1 ? "state lost" : n == 3 ? "state kept" : "?");
}

int main(void) {
    const char *path = csm_lib("counter");
    void *first = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (first == NULL) csm_load_failed("counter", dlerror());
    CSM_LOADED("counter");

    int nodelete = has_nodelete(first);
    CSM_CHECK(nodelete == 1, "libcounter.so is marked DF_1_NODELETE (has_nodelete = %d)", nodelete);

    bump_fn bump = (bump_fn)dlsym(first, "Bump");
    CSM_CHECK(bump != NULL, "dlsym(\"Bump\") != NULL");
    if (bump == NULL) return CSM_DONE();
    int n = bump();
    CSM_CHECK(n == 1, "Bump() == 1 (got %d)", n);
    n = bump();
    CSM_CHECK(n == 2, "Bump() == 2 (got %d)", n);

    int rc = dlclose(first);
    CSM_CHECK(rc == 0, "dlclose() == 0 (got %d%s%s)", rc, rc ? ": " : "", rc ? dlerror() : "");

    /* Were the library unmapped, this call would fault; were the runtime
     * reset, it would answer 1. */
    n = bump();
    CSM_CHECK(n == 3, "Bump() through the pointer from before dlclose() == 3 (got %d)", n);

    /* RTLD_NOLOAD only finds an object that is still loaded. */
    void *resident = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    CSM_CHECK(resident == first, "dlopen(RTLD_NOLOAD) after dlclose() finds the library, same handle (%p, first %p)",
              resident, first);

    void *again = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    CSM_CHECK(again == first, "dlopen() after dlclose() returns the same handle (%p, first %p)", again, first);
    if (again == NULL) return CSM_DONE();
    bump_fn bump_again = (bump_fn)dlsym(again, "Bump");
    CSM_CHECK(bump_again == bump, "dlsym(\"Bump\") after reopening == the address from before (%p, before %p)",
              (void *)bump_again, (void *)bump);
    if (bump_again == NULL) return CSM_DONE();
    n = bump_again();
    CSM_CHECK(n == 4, "Bump() after reopening == 4, the count continued (got %d)", n);

    /* And the same for more cycles, so a leak or a second runtime started by
     * a reopen would show up as a changed handle, address or count. */
    int want = 4, bad_cycle = 0;
    for (int cycle = 1; cycle <= CYCLES && !bad_cycle; cycle++) {
        if (dlclose(again) != 0) bad_cycle = cycle;
        again = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (again != first || dlsym(again, "Bump") != (void *)bump) bad_cycle = cycle;
        else if (bump() != ++want) bad_cycle = cycle;
    }
    CSM_CHECK(bad_cycle == 0, "%d more dlclose()/dlopen() cycles: same handle, same address, count continued to %d "
              "(first bad cycle: %d)", CYCLES, 4 + CYCLES, bad_cycle);

    control();
    return CSM_DONE();
}
