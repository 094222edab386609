/*
 * link: the host is linked against libhello.so at build time (DT_NEEDED), the
 * "basic C program linking to a go library" from the 2013 thread. The dynamic
 * loader maps the library and runs its ELF initializer, which starts the Go
 * runtime, before main() is entered.
 */
#include <stdlib.h>
#include <string.h>

#include "csm.h"
#include "libhello.h"

int main(void) {
    /* The loader refuses to start a program whose DT_NEEDED libraries failed,
     * so getting here means libhello.so is loaded and initialized. */
    CSM_LOADED("hello");

    CSM_CHECK(Add(2, 3) == 5, "Add(2, 3) == 5");
    CSM_CHECK(Add(-40, 2) == -38, "Add(-40, 2) == -38");

    char *greeting = Greet("linker");
    CSM_CHECK(greeting != NULL && strcmp(greeting, "hello, linker") == 0,
              "Greet(\"linker\") == \"hello, linker\" (got \"%s\")", greeting ? greeting : "(null)");
    /* C.CString allocates with the C allocator, so ownership passes to us. */
    free(greeting);

    /* 6 bytes, 5 runes: only a real UTF-8 decode on the Go side gives 5. */
    int runes = CountRunes("h\xc3\xa9llo");
    CSM_CHECK(runes == 5, "CountRunes(\"h\\xc3\\xa9llo\") == 5 (got %d)", runes);

    return CSM_DONE();
}
