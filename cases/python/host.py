"""python: a Python program loads a Go c-shared library with ctypes, the most
common way Go code ends up inside another language's process, and calls it
with ints and strings both ways, from the main thread and from Python threads.

ctypes.CDLL is dlopen(RTLD_LOCAL), so the Go runtime starts inside it; the
process is CPython's, with its own threads, signal handlers and allocator.
"""
import ctypes
import os
import sys
import threading

import csm

# Which Python this is: the harness's tests check that the row's own interpreter ran (os.uname is the emulated CPU's under qemu).
print(f"# python {sys.version.split()[0]} on {os.uname().machine}", flush=True)

try:
    lib = ctypes.CDLL(csm.lib("pygo"))
except OSError as e:
    # The same lines as csm_load_failed() in csm.h, with the exception Python raised (musl: OSError: Error relocating …).
    sys.stderr.write(f"csm-load-failed pygo: {type(e).__name__}: {e}\n")
    print("csm-load-failed pygo", flush=True)
    sys.exit(3)
csm.loaded("pygo")

# Without argtypes and restype ctypes would guess, and a returned pointer
# would be cut to a C int.
lib.Add.argtypes = [ctypes.c_int, ctypes.c_int]
lib.Add.restype = ctypes.c_int
lib.CountRunes.argtypes = [ctypes.c_char_p]
lib.CountRunes.restype = ctypes.c_int
lib.SumTo.argtypes = [ctypes.c_int]
lib.SumTo.restype = ctypes.c_longlong
# c_void_p, not c_char_p: with c_char_p ctypes copies the string into bytes
# and drops the pointer, so the malloc()ed C.CString could never be freed.
lib.Greet.argtypes = [ctypes.c_char_p]
lib.Greet.restype = ctypes.c_void_p

# free() from the C library the process already has: C.CString allocates
# with the same malloc.
libc = ctypes.CDLL(None)
libc.free.argtypes = [ctypes.c_void_p]
libc.free.restype = None

csm.check(lib.Add(2, 3) == 5, "Add(2, 3) == 5")
csm.check(lib.Add(-40, 2) == -38, "Add(-40, 2) == -38")

ptr = lib.Greet("ctypes".encode())
greeting = ctypes.string_at(ptr).decode() if ptr else None
csm.check(greeting == "hello, ctypes", f'Greet("ctypes") == "hello, ctypes" (got {greeting!r})')
if ptr:
    libc.free(ptr)

# A str goes over as UTF-8 bytes: 6 bytes, 5 runes.
word = "h\u00e9llo"
runes = lib.CountRunes(word.encode("utf-8"))
csm.check(runes == 5, f"CountRunes({word!r} as UTF-8) == 5 (got {runes})")

csm.check(lib.SumTo(100) == 5050, "main thread: SumTo(100) == 5050")

# ctypes releases the GIL around foreign calls, so these threads are in Go
# at the same time, each on a thread the Go runtime has never seen.
results = {}


def worker(k):
    results[k] = lib.SumTo(1000 + k)


threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
want = {k: (1000 + k) * (1001 + k) // 2 for k in range(4)}
csm.check(results == want, f"4 Python threads: SumTo(1000+k) == (1000+k)(1001+k)/2 (got {results})")

csm.done()
