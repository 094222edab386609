/*
 * dll-dotted-name: a Go library whose file name has dots before its suffix
 * (lib.hello.v1.dll on Windows, lib.hello.v1.so elsewhere), linked at build
 * time. golang/go#78238: Go 1.26's linker began writing a .def file for a
 * Windows DLL's exports whose LIBRARY line held the output name as it was,
 * and GNU ld rejected a name with dots ("export_file.def:1: syntax error"),
 * so such a DLL did not link at all. The build is the first check; the
 * second is that the loader knows the library by that same name: the name a
 * linked host records (its PE import, from the DLL's export directory; its
 * DT_NEEDED, the file name, since Go sets no soname) is what the loader looks
 * for when it starts.
 */
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#define OWN_NAME "lib.hello.v1.dll"
static int loaded_as(const char *name) { return GetModuleHandleA(name) != NULL; }
#else
#include <dlfcn.h>
#define OWN_NAME "lib.hello.v1.so"
/* RTLD_NOLOAD with a bare name finds a loaded library by the name it was loaded as, loading nothing. */
static int loaded_as(const char *name) { return dlopen(name, RTLD_NOW | RTLD_NOLOAD) != NULL; }
#endif

#include "csm.h"
#include "lib.hello.v1.h"

int main(void) {
    /* A linked host starts only once the loader found and initialized the library. */
    CSM_LOADED("hello");

    CSM_CHECK(loaded_as(OWN_NAME), "the loader knows the library as %s", OWN_NAME);
    CSM_CHECK(Add(2, 3) == 5, "Add(2, 3) == 5");

    char *greeting = Greet("dots");
    CSM_CHECK(greeting != NULL && strcmp(greeting, "hello, dots") == 0, "Greet(\"dots\") == \"hello, dots\" (got \"%s\")",
              greeting ? greeting : "(null)");
    free(greeting);

    return CSM_DONE();
}
