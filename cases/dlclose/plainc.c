/*
 * plainc: an ordinary C shared library, without -z nodelete, with a counter
 * of its own. The control for the Go library: the same dlclose()/dlopen()
 * sequence shows what an unloaded library looks like on this C library.
 */
static int count;

int plainc_bump(void) { return ++count; }
