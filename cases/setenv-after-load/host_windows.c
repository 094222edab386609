/*
 * setenv-after-load on Windows: once a Go DLL is loaded and has answered a
 * call (so its runtime is up), the host adds a key and replaces the value of
 * one from exec, the C way (_putenv_s; msvcrt.dll writes it through to the
 * process's environment block). golang/go#27693 is about the copy the runtime
 * takes on Unix; on Windows os.Getenv asks GetEnvironmentVariableW every time,
 * so Go is expected to follow. Also reported: a key replaced with
 * SetEnvironmentVariable alone, as Go and the C runtime's getenv each see it.
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
    free(got);
}

static void check_c_sees(const char *key, const char *want) {
    const char *got = getenv(key);
    CSM_CHECK(got != NULL && strcmp(got, want) == 0, "C sees %s=%s", key, want);
}

int main(void) {
    HMODULE module = LoadLibraryA(csm_lib("envgo"));
    if (module == NULL) csm_load_failed("envgo", csm_win_error("LoadLibrary", GetLastError()));
    CSM_LOADED("envgo");

    go_getenv = (__typeof__(&GoGetenv))(void (*)(void))GetProcAddress(module, "GoGetenv");
    CSM_CHECK(go_getenv != NULL, "GetProcAddress(\"GoGetenv\") != NULL");
    if (go_getenv == NULL) return CSM_DONE();

    /* The first call waits for the runtime to finish starting, so every
     * change below comes after it. Both keys come from run.env. */
    check_go_sees("CSM_FROM_EXEC", "from-exec");
    check_go_sees("CSM_REPLACED", "from-exec");

    if (_putenv_s("CSM_REPLACED", "replaced-after-load") != 0 || _putenv_s("CSM_ADDED", "added-after-load") != 0) {
        perror("_putenv_s");
        return 2;
    }
    check_c_sees("CSM_ADDED", "added-after-load");
    check_c_sees("CSM_REPLACED", "replaced-after-load");

    check_go_sees("CSM_ADDED", "added-after-load");
    check_go_sees("CSM_REPLACED", "replaced-after-load");

    SetEnvironmentVariableA("CSM_FROM_EXEC", "replaced-by-win32");
    char *go = go_getenv("CSM_FROM_EXEC");
    const char *c = getenv("CSM_FROM_EXEC");
    printf("# CSM_FROM_EXEC replaced with SetEnvironmentVariable after load: Go sees \"%s\", the C runtime's getenv \"%s\"\n",
           go ? go : "(unset)", c ? c : "(unset)");
    free(go);
    return CSM_DONE();
}
