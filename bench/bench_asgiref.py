# SPDX-License-Identifier: LGPL-2.1-or-later
"""The bridge's three operations in Python's asgiref, for the README's
comparison table: run with Debian's /usr/bin/python3 and python3-asgiref.

Prints `entry<TAB>microseconds` per line, the median of REPS repetitions of
ITERATIONS calls, for the same entries as bench-bridge:

    sync-to-async         await sync_to_async(f, thread_sensitive=False)()
    sync-to-async-ts      await sync_to_async(f)()   (thread-sensitive)
    async-to-sync         async_to_sync(f)() from a plain thread

Usage: bench_asgiref.py [ITERATIONS [REPS]]   (defaults: 2000, 5)
"""

import asyncio
import statistics
import sys
import threading
import time

from asgiref.sync import async_to_sync, sync_to_async


def trivial():
    return True


async def trivial_async():
    return True


def per_call_us(run, n, reps):
    run(max(1, n // 10))
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        run(n)
        times.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(times)


def sync_to_async_trips(thread_sensitive):
    def run(n):
        async def loop():
            call = sync_to_async(trivial, thread_sensitive=thread_sensitive)
            for _ in range(n):
                await call()
        asyncio.run(loop())
    return run


def async_to_sync_calls(n):
    def body():
        call = async_to_sync(trivial_async)
        for _ in range(n):
            call()
    thread = threading.Thread(target=body)
    thread.start()
    thread.join()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    for entry, run in (("sync-to-async", sync_to_async_trips(False)),
                       ("sync-to-async-ts", sync_to_async_trips(True)),
                       ("async-to-sync", async_to_sync_calls)):
        print("%s\t%.2f" % (entry, per_call_us(run, n, reps)), flush=True)


if __name__ == "__main__":
    main()
