/* square: a project's own host, linked against its library at build time. */
#include "csm.h"
#include "libsquare.h"

int main(void) {
    CSM_LOADED("square");
    CSM_CHECK(Square(12) == 144, "Square(12) == 144");
    CSM_CHECK(Square(-3) == 9, "Square(-3) == 9");
    return CSM_DONE();
}
