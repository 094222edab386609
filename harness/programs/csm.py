"""csm.py: the host side of cshared-matrix's protocol for Python hosts.

The same lines as harness/programs/csm.h, so the harness judges Python and C hosts
alike: "csm-loaded <what>", "ok N - <check>" / "not ok N - <check>",
"csm-done <passed>/<total>".
"""
import os
import sys

_total = 0
_failed = 0


def loaded(what):
    print(f"csm-loaded {what}", flush=True)


def check(ok, desc):
    global _total, _failed
    _total += 1
    if not ok:
        _failed += 1
    print(f"{'ok' if ok else 'not ok'} {_total} - {desc}", flush=True)
    return bool(ok)


def done():
    """Print the summary and exit: 0 only when every check passed and at least one ran."""
    print(f"csm-done {_total - _failed}/{_total}", flush=True)
    sys.exit(0 if _failed == 0 and _total > 0 else 1)


def lib(name):
    """Path of a built library, from CSM_LIB_<NAME>."""
    key = "CSM_LIB_" + name.upper()
    path = os.environ.get(key)
    if path is None:
        sys.stderr.write(f"csm: {key} is not set; the harness passes one per library\n")
        sys.exit(2)
    return path
