/*
 * setenv-race: a C thread loops on getenv() while Go's os.Setenv adds keys
 * (golang/go#63567). getenv reads C's environ without a lock; setenv, which
 * os.Setenv calls in a cgo program, grows that array and frees the old one.
 * Once the library is loaded, the host gives the environment 20000 keys of its
 * own, so the array is large enough (160 KiB on 64-bit) that glibc's malloc
 * maps it on its own and a reallocation can unmap the old one under the reader.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csm.h"

extern char **environ;

/*
 * The host's own keys, all at once: setenv() of each scans the whole array
 * first, so 20000 of them took 10 to 40 s under qemu (quadratic), long enough
 * to meet the host's limit on a loaded machine. The array is made here and
 * handed over with one setenv(), which copies it into an array of glibc's own,
 * as the 20000 calls left it: the array Go's os.Setenv then grows.
 */
static void add_host_keys(int keys) {
    int have = 0;
    while (environ[have] != NULL) have++;
    char **all = malloc((size_t)(have + keys + 1) * sizeof *all);
    if (all == NULL) exit(2);
    memcpy(all, environ, (size_t)have * sizeof *all);
    for (int i = 0; i < keys; i++) {
        char *entry = malloc(32);
        if (entry == NULL) exit(2);
        snprintf(entry, 32, "CSM_HOST_%d=set by C", i);
        all[have + i] = entry;
    }
    all[have + keys] = NULL;
    environ = all;
    setenv("CSM_HOST_KEYS", "set by C", 1);
}

static volatile int go_done;
static long reads;

static void *reader(void *arg) {
    (void)arg;
    while (!go_done) {
        /* A key nobody sets: getenv walks the whole array every time. */
        if (getenv("CSM_RACE_NEVER_SET") != NULL) abort();
        reads++;
    }
    return NULL;
}

int main(void) {
    char key[32];
    /* Loaded first: a library that cannot load (musl, go#54805) fails in
     * milliseconds instead of after seconds of setenv under qemu. The race
     * needs the large environ only while Go sets keys, and the Go runtime
     * never reads environ: it copies the initial environment from the
     * start-up stack, which setenv of a new key never writes. */
    void *h = dlopen(csm_lib("envgo"), RTLD_NOW);
    if (h == NULL) csm_load_failed("envgo", dlerror());
    CSM_LOADED("envgo");
    int (*setenv_many)(int, int) = (int (*)(int, int))dlsym(h, "SetenvMany");
    CSM_CHECK(setenv_many != NULL, "dlsym(SetenvMany) != NULL");
    if (setenv_many == NULL) return CSM_DONE();
    add_host_keys(20000);

    /* A tenth of the host's own limit, at most 2 s. */
    const char *t = getenv("CSM_TIMEOUT_MS");
    int ms = t ? atoi(t) / 10 : 2000;
    if (ms > 2000) ms = 2000;
    pthread_t th;
    pthread_create(&th, NULL, reader, NULL);
    int n = setenv_many(2000, ms);
    go_done = 1;
    pthread_join(th, NULL);
    printf("# Go set %d new keys in at most %d ms while C's getenv ran %ld times\n", n, ms, reads);
    CSM_CHECK(n > 0 && reads > 0, "C's getenv and Go's os.Setenv ran at the same time and the process lived (%d keys, %ld reads)", n, reads);
    const char *last = n > 0 ? (snprintf(key, sizeof key, "CSM_RACE_%d", n - 1), getenv(key)) : NULL;
    CSM_CHECK(last != NULL, "C's getenv sees the last key Go set (%s)", key);
    return CSM_DONE();
}
