/*
 * environ on Windows: a Go DLL reads the environment through the Win32 API
 * (GetEnvironmentVariableW, on every os.Getenv), not through the C runtime's
 * copy, so what counts is the process's environment block. The host replaces
 * a variable from exec the C way (_putenv_s, which msvcrt.dll writes through
 * to that block) before LoadLibrary, and Go must see the new value. Besides,
 * a key set only with SetEnvironmentVariable is reported as Go and the C
 * runtime each see it: the C runtime's getenv reads its own copy, taken at
 * startup, which SetEnvironmentVariable does not update.
 */
#include "csm.h"

#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "libenvgo.h"

static __typeof__(&GoGetenv) go_getenv;

static void check_go_sees(const char *key, const char *want) {
    char *got = go_getenv((char *)key);
    CSM_CHECK(got != NULL && strcmp(got, want) == 0, "Go sees %s=%s (got %s%s%s)", key, want,
              got ? "\"" : "", got ? got : "unset", got ? "\"" : "");
    /* C.CString allocates with msvcrt.dll's malloc, the host's too. */
    free(got);
}

static void report_win32_key(void) {
    char *go = go_getenv("CSM_WIN32_ONLY");
    const char *c = getenv("CSM_WIN32_ONLY");
    printf("# a key set with SetEnvironmentVariable before LoadLibrary: Go sees %s%s%s, the C runtime's getenv %s%s%s\n",
           go ? "\"" : "", go ? go : "unset", go ? "\"" : "", c ? "\"" : "", c ? c : "unset", c ? "\"" : "");
    free(go);
}

int main(void) {
    /* Overwrite a key the harness put in the exec environment (run.env). */
    if (_putenv_s("CSM_REPLACED", "replaced-by-c") != 0) {
        perror("_putenv_s");
        return 2;
    }
    if (!SetEnvironmentVariableA("CSM_WIN32_ONLY", "set-by-win32")) {
        fprintf(stderr, "%s\n", csm_win_error("SetEnvironmentVariable", GetLastError()));
        return 2;
    }

    HMODULE module = LoadLibraryA(csm_lib("envgo"));
    if (module == NULL) csm_load_failed("envgo", csm_win_error("LoadLibrary", GetLastError()));
    CSM_LOADED("envgo");

    /* If these fail, the harness did not pass run.env, and the Go checks
     * below would be meaningless. */
    const char *greeting = getenv("CSM_GREETING");
    CSM_CHECK(greeting != NULL && strcmp(greeting, "from-exec") == 0, "C sees CSM_GREETING=from-exec");
    const char *replaced = getenv("CSM_REPLACED");
    CSM_CHECK(replaced != NULL && strcmp(replaced, "replaced-by-c") == 0, "C sees CSM_REPLACED=replaced-by-c");

    go_getenv = (__typeof__(&GoGetenv))(void (*)(void))GetProcAddress(module, "GoGetenv");
    CSM_CHECK(go_getenv != NULL, "GetProcAddress(\"GoGetenv\") != NULL");
    if (go_getenv == NULL) return CSM_DONE();

    check_go_sees("CSM_GREETING", "from-exec");
    check_go_sees("CSM_REPLACED", "replaced-by-c");
    report_win32_key();

    return CSM_DONE();
}
