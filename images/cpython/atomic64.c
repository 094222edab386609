/*
 * The 8-byte __atomic_* functions gcc calls on ARMv5/v6 (no ldrexd), linked
 * into a musl CPython in place of gcc's libatomic.a (build-cpython.sh, the
 * layer's `libatomic` in harness/core/host-langs.ts). That archive is built for
 * glibc and picks each function at load time by IFUNC: a static link leaves
 * R_ARM_IRELATIVE (relocation type 160) in python, and musl's loader refuses
 * it ("unsupported relocation type 160"), so python never starts.
 *
 * Each is a compare-and-swap loop over libgcc's __sync_val_compare_and_swap_8,
 * which calls Linux's cmpxchg64 kernel helper (qemu-user provides it): a full
 * barrier, whatever order the caller asked for. A load is a CAS too, as gcc's
 * own ARMv7 load without LPAE is (ldrexd/strexd): it writes the value back.
 */
#include <stdbool.h>
#include <stdint.h>

typedef uint64_t u64;

static u64 cas(volatile void *p, u64 expected, u64 desired) {
  return __sync_val_compare_and_swap((volatile u64 *)p, expected, desired);
}

/* gcc declares these names as builtins: defined under other names, exported under theirs. */
#define EXPORT(ret, name, symbol, args) \
  ret name args __asm__(symbol);        \
  ret name args

EXPORT(u64, load_8, "__atomic_load_8", (const volatile void *p, int order)) {
  (void)order;
  return cas((volatile void *)p, 0, 0);
}

EXPORT(u64, exchange_8, "__atomic_exchange_8", (volatile void *p, u64 v, int order)) {
  (void)order;
  u64 old = *(volatile u64 *)p, seen;
  /* A torn first read only fails the CAS, which returns the whole value. */
  while ((seen = cas(p, old, v)) != old) old = seen;
  return old;
}

EXPORT(void, store_8, "__atomic_store_8", (volatile void *p, u64 v, int order)) {
  exchange_8(p, v, order);
}

EXPORT(bool, compare_exchange_8, "__atomic_compare_exchange_8",
       (volatile void *p, void *expected, u64 desired, bool weak, int success, int failure)) {
  (void)weak, (void)success, (void)failure;
  u64 want = *(u64 *)expected, seen = cas(p, want, desired);
  if (seen == want) return true;
  *(u64 *)expected = seen;
  return false;
}

/* __atomic_fetch_OP_8 returns the old value, __atomic_OP_fetch_8 the new one. */
#define FETCH_OP(op, apply)                                                              \
  EXPORT(u64, fetch_##op##_8, "__atomic_fetch_" #op "_8", (volatile void *p, u64 v, int order)) { \
    (void)order;                                                                         \
    u64 old = *(volatile u64 *)p, seen;                                                  \
    while ((seen = cas(p, old, apply)) != old) old = seen;                               \
    return old;                                                                          \
  }                                                                                      \
  EXPORT(u64, op##_fetch_8, "__atomic_" #op "_fetch_8", (volatile void *p, u64 v, int order)) {   \
    u64 old = fetch_##op##_8(p, v, order);                                               \
    return apply;                                                                        \
  }

FETCH_OP(add, old + v)
FETCH_OP(sub, old - v)
FETCH_OP(and, old & v)
FETCH_OP(or, old | v)
FETCH_OP(xor, old ^ v)
FETCH_OP(nand, ~(old & v))
