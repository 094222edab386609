/*
 * goamd64-v3 on Windows: a DLL built with GOAMD64=v3, loaded with LoadLibrary
 * on whatever CPU runs the row (under Wine, the machine's own: x86-64-v3
 * here). On windows-386 GOAMD64 means nothing and the call works.
 */
#include "csm.h"

#include <windows.h>

int main(void) {
    HMODULE h = LoadLibraryA(csm_lib("levelgo"));
    if (h == NULL) csm_load_failed("levelgo", csm_win_error("LoadLibrary", GetLastError()));
    CSM_LOADED("levelgo");
    int (*bits)(unsigned long long) = (int (*)(unsigned long long))(void (*)(void))GetProcAddress(h, "Bits");
    CSM_CHECK(bits != NULL, "GetProcAddress(Bits) != NULL");
    if (bits) {
        int n = bits(0x00F0F0F0F0F0F0F0ULL);
        CSM_CHECK(n == 28 + 8, "Bits(0x00F0F0F0F0F0F0F0) == 36: 28 set bits and 8 leading zeros (got %d)", n);
    }
    return CSM_DONE();
}
