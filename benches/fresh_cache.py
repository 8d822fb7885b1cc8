#!/usr/bin/env python3
"""Puts each FILE in the page cache as a file freshly read from disk is:
evicts it, then reads it back in one sequential pass. Timings of a mapped
file depend on how the cache holds it: Linux (6.18, ext4 here) reads a file
into folios of up to 2 MiB, which a map gets as huge pages, while a cache
that reclaim has split holds 4 KiB pages, each mapped on its own (the same
binary's count(*) over 1 GiB: 0.29 s against 0.34 s). The binary's own
cache state shows in its peak RSS: a copy just written reported 93 MiB for
a count over 1 GiB where the same binary cached otherwise reported 79-83;
both read back through this gave 78-84. The benchmark scripts run this on
the log and on the binary first, so that every run, and every binary
compared, sees the same state.
Usage: fresh_cache.py FILE..."""
import os
import sys

for path in sys.argv[1:]:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        while os.read(fd, 1 << 20):
            pass
    finally:
        os.close(fd)
