#!/bin/sh
# Cross-build libffi and a small CPython for one musl target, from the
# Debian source packages already downloaded into SRC (their .orig tarballs:
# Debian's patches are for its own glibc layout, so they are not applied).
# Usage: build-cpython.sh HOST CC KERNEL_INCLUDE KERNEL_ASM PREFIX SRC [CFLAGS [LIBATOMIC]]
set -eu
HOST=$1 CC=$2 KINC=$3 KASM=$4 PREFIX=$5 SRC=$6 EXTRA=${7:-} LIBATOMIC=${8:-}
W=/tmp/csm-cpython
rm -rf "$W"; mkdir -p "$W/kh"
start=$(date +%s)
say() { echo "[cpython $(( $(date +%s) - start ))s] $*"; }

# musl-gcc's specs leave /usr/include out, and with it Linux's UAPI headers
# (linux/, asm/), which libffi and CPython include: give them alone.
ln -s "$KINC/linux" "$KINC/asm-generic" "$W/kh/"; ln -s "$KASM" "$W/kh/asm"
# CPython's configure asks the compiler for its multiarch triplet and refuses
# the glibc answer a musl wrapper gives (x86_64-linux-gnu): answer nothing.
# ARMv5 has no atomic instructions, so configure links gcc's libatomic; its
# shared library is built against glibc, its static archive links with musl.
atomic=$($CC -print-file-name=libatomic.a); [ -f "$atomic" ] || atomic=-latomic
# 32-bit ARM's libatomic.a picks its functions by IFUNC, which musl's loader
# cannot relocate: the layer names the 8-byte functions of atomic64.c instead.
if [ "$LIBATOMIC" = atomic64-shim ]; then
  $CC $EXTRA -O2 -fPIC -c "$(dirname "$0")/atomic64.c" -o "$W/atomic64.o"
  "$($CC -print-prog-name=ar)" rcs "$W/libatomic64.a" "$W/atomic64.o"; atomic=$W/libatomic64.a
fi
cat > "$W/cc" <<CC
#!/bin/sh
n=\$#
for a; do
  [ "\$a" = --print-multiarch ] && exit 0
  if [ "\$a" = -latomic ]; then set -- "\$@" "$atomic"; else set -- "\$@" "\$a"; fi
done
shift \$n
exec $CC $EXTRA "\$@" -idirafter $W/kh
CC
chmod +x "$W/cc"

ffi=$(ls "$SRC"/libffi_*.orig.tar.* | head -1); py=$(ls "$SRC"/python3.13_*.orig.tar.* | head -1)
ffiv=$(basename "$(ls "$SRC"/libffi_*.dsc)" .dsc | cut -d_ -f2); pyv=$(basename "$(ls "$SRC"/python3.13_*.dsc)" .dsc | cut -d_ -f2)
cd "$W"; tar xf "$ffi"; tar xf "$py"

say "libffi $ffiv for $HOST"
cd "$W"/libffi-*/
autoreconf -fi >"$W/autoreconf.log" 2>&1 || { tail -20 "$W/autoreconf.log"; exit 1; }
mkdir b; cd b
# CFLAGS given, so libffi's configure does not pick -march for the build machine's CPU.
../configure -q --host="$HOST" --build=x86_64-linux-gnu CC="$W/cc" CFLAGS=-O2 --prefix="$W/ffi" \
  --disable-shared --enable-static --with-pic --disable-docs --disable-multi-os-directory >/dev/null 2>&1
make -j"$(nproc)" >"$W/ffi.log" 2>&1 || { tail -30 "$W/ffi.log"; exit 1; }
make install >/dev/null

say "configure CPython $pyv"
cd "$W"/Python-*/
# Left out: what needs a library the image has no musl build of, the test
# modules, and the large ones no host here needs (decimal, unicodedata, the
# CJK codecs, expat). ctypes, threading, json, socket, subprocess, hashlib stay.
off=""
for m in _decimal unicodedata _multibytecodec _codecs_cn _codecs_hk _codecs_iso2022 _codecs_jp _codecs_kr _codecs_tw \
         pyexpat _elementtree _ssl _hashlib _sqlite3 _tkinter _curses _curses_panel _dbm _gdbm readline _uuid _lzma _bz2 zlib \
         _ctypes_test xxlimited xxlimited_35 _xxtestfuzz _testcapi _testinternalcapi _testbuffer _testimportmultiple \
         _testmultiphase _testsinglephase _testclinic _testclinic_limited _testexternalinspection _testlimitedcapi \
         _interpreters _interpchannels _interpqueues _lsprof _multiprocessing _posixshmem syslog; do
  off="$off py_cv_module_$m=n/a"
done
env $off ./configure -q --host="$HOST" --build=x86_64-linux-gnu --with-build-python=/usr/bin/python3.13 CC="$W/cc" \
  --prefix="$PREFIX" --disable-test-modules --without-ensurepip --without-doc-strings --with-lto=no --without-mimalloc \
  OPT="-DNDEBUG -O1" LIBFFI_CFLAGS="-I$W/ffi/include" LIBFFI_LIBS="$W/ffi/lib/libffi.a" \
  ac_cv_buggy_getaddrinfo=no ac_cv_file__dev_ptmx=no ac_cv_file__dev_ptc=no >"$W/configure.log" 2>&1 || { tail -30 "$W/configure.log"; exit 1; }

say "make"
make -j"$(nproc)" >"$W/make.log" 2>&1 || { tail -40 "$W/make.log"; exit 1; }
# A module that failed to build is only a line in make's output: ctypes must not be one of them.
grep -A4 -E 'Following modules built successfully but were removed|Failed to build these modules' "$W/make.log" || true
make install >"$W/install.log" 2>&1 || { tail -30 "$W/install.log"; exit 1; }
rm -rf "$PREFIX"/lib/python3.13/test "$PREFIX"/lib/python3.13/idlelib "$PREFIX"/lib/python3.13/tkinter \
  "$PREFIX"/lib/python3.13/turtledemo "$PREFIX"/lib/python3.13/ensurepip "$PREFIX"/lib/python3.13/config-3.13-*
ls "$PREFIX"/lib/python3.13/lib-dynload/_ctypes.* >/dev/null
# An IFUNC a static archive brought in is an R_*_IRELATIVE relocation, which
# musl's loader refuses at start: fail the build here, naming the file.
readelf=$($CC -print-prog-name=readelf)
for f in "$PREFIX"/bin/python3.13 "$PREFIX"/lib/python3.13/lib-dynload/*.so; do
  if "$readelf" -rW "$f" | grep -q IRELATIVE; then
    say "$f has IRELATIVE relocations (an IFUNC), which musl's loader cannot apply:"; "$readelf" -rW "$f" | grep IRELATIVE | head; exit 1
  fi
done
say "no IRELATIVE relocations in python and its $(ls "$PREFIX"/lib/python3.13/lib-dynload/*.so | wc -l) extension modules"
printf 'CPython %s and libffi %s (Debian source packages, %s), built by %s\n' "$pyv" "$ffiv" "$HOST" "$($CC -dumpfullversion 2>/dev/null | sed 's/^/gcc /')" > "$PREFIX/csm-build.txt"
say "done: $(cat "$PREFIX/csm-build.txt"); $(du -sh "$PREFIX" | cut -f1)"
rm -rf "$W"
