#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The soak entries of bench/run: a bounded run of hostile and faulty
traffic against bench-http-server, AsgirefServer ("asgi", ours) and a bare
libsoup handler ("bare", the baseline), one after the other.

For SOAK_SECONDS (default 60), 64 keep-alive connections send requests
back to back; of those requests, 10% ask for the 1 MiB /big and hang up
after its first bytes, 5% ask for /fail (the application fails: 500), the
rest for / (200 "Hello"). Prints tab-separated lines (entry, ours,
baseline, unit, ratio):

  soak-requests     requests answered as expected
  soak-errors       anything else on the ordinary requests: a wrong
                    status or body, a connection refused or reset
  soak-rss-growth   the server's resident memory at the end minus after
                    a 5 s warm-up of the same traffic, MiB
  soak-fd-growth    the server's open descriptors once every client
                    closed, minus the same after the warm-up (which
                    leaves what the process makes once, such as GLib's
                    worker context)

Usage: bench/soak.py BUILDDIR
"""

import asyncio
import os
import random
import subprocess
import sys
import time

CONNECTIONS = 64
HANG_UP = 0.10
FAIL = 0.05
WARM_UP = 5.0
# A server that stops answering fails the soak; it does not hang it.
STALL = 5.0


def rss_mib(pid):
    with open(f'/proc/{pid}/status') as status:
        for line in status:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
    raise RuntimeError('no VmRSS')


def descriptors(pid):
    return len(os.listdir(f'/proc/{pid}/fd'))


class Stats:
    def __init__(self):
        self.answered = 0
        self.errors = 0
        self.first_errors = []

    def error(self, what):
        self.errors += 1
        if len(self.first_errors) < 5:
            self.first_errors.append(what)


async def read_response(reader):
    """Status, headers (lower-case), body of one response."""
    head = await reader.readuntil(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ':' in line:
            name, value = line.split(':', 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get('content-length', '0'))
    body = await reader.readexactly(length)
    return status, headers, body


async def client(port, deadline, stats):
    connection = None
    while time.monotonic() < deadline:
        if connection is None:
            try:
                connection = await asyncio.wait_for(asyncio.open_connection('127.0.0.1', port), STALL)
            except (OSError, asyncio.TimeoutError) as error:
                stats.error(f'connect: {error!r}')
                await asyncio.sleep(0.01)
                continue
        reader, writer = connection
        draw = random.random()
        try:
            if draw < HANG_UP:
                writer.write(b'GET /big HTTP/1.1\r\nHost: soak\r\n\r\n')
                await asyncio.wait_for(reader.readexactly(1024), STALL)
                writer.close()
                connection = None
                stats.answered += 1
                continue
            path, expected = ('/fail', 500) if draw < HANG_UP + FAIL else ('/', 200)
            writer.write(f'GET {path} HTTP/1.1\r\nHost: soak\r\n\r\n'.encode())
            status, headers, body = await asyncio.wait_for(read_response(reader), STALL)
            if status != expected or (expected == 200 and body != b'Hello'):
                stats.error(f'{path}: {status} {body[:40]!r}')
            else:
                stats.answered += 1
            if headers.get('connection', '').lower() == 'close':
                writer.close()
                connection = None
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as error:
            stats.error(f'{path if draw >= HANG_UP else "/big"}: {error!r}')
            writer.close()
            connection = None
    if connection is not None:
        connection[1].close()
        await connection[1].wait_closed()


async def soak(port, seconds):
    stats = Stats()
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(client(port, deadline, stats) for _ in range(CONNECTIONS)))
    return stats


def settled_descriptors(pid, at_most):
    """The server's descriptors, once it closed those of the clients that
    left (or after 5 s)."""
    deadline = time.monotonic() + 5
    while descriptors(pid) > at_most and time.monotonic() < deadline:
        time.sleep(0.1)
    return descriptors(pid)


def run(server, mode, seconds):
    log = open(os.devnull, 'w')
    process = subprocess.Popen([server, mode], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=log)
    try:
        port = int(process.stdout.readline())
        listening = descriptors(process.pid)
        asyncio.run(soak(port, min(WARM_UP, seconds)))
        fds_start = settled_descriptors(process.pid, listening)
        rss_start = rss_mib(process.pid)
        stats = asyncio.run(soak(port, seconds))
        fds_growth = settled_descriptors(process.pid, fds_start) - fds_start
        rss_growth = rss_mib(process.pid) - rss_start
    finally:
        process.stdin.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for what in stats.first_errors:
        print(f'soak.py: {mode}: {what}', file=sys.stderr)
    return stats, rss_growth, fds_growth


def line(entry, ours, theirs, unit):
    ratio = f'{ours / theirs:.3f}' if theirs else '-'
    # Counts in full: '{:g}' would print a million requests as 1e+06.
    print(f'{entry}\t{ours}\t{theirs}\t{unit}\t{ratio}')


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    server = os.path.join(sys.argv[1], 'bench', 'bench-http-server')
    seconds = float(os.environ.get('SOAK_SECONDS', '60'))
    random.seed(1)
    ours = run(server, 'asgi', seconds)
    theirs = run(server, 'bare', seconds)
    line('soak-requests', ours[0].answered, theirs[0].answered, 'count')
    line('soak-errors', ours[0].errors, theirs[0].errors, 'count')
    line('soak-rss-growth', round(ours[1], 1), round(theirs[1], 1), 'MiB')
    line('soak-fd-growth', ours[2], theirs[2], 'count')


if __name__ == '__main__':
    main()
