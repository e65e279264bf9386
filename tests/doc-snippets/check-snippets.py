#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every fenced block of the guides is checked by something the tests run.

Each fenced block of README.md and docs/*.md carries, on the line just
before its opening fence, a marker that says what checks it:

<!-- snippet: tests/doc-snippets/asgi.c -->
    Code that a file the tests run holds as it is. Each paragraph of the
    block (its lines between blank lines, or lines that say "...")
    occurs in the file, in the block's order, as consecutive lines equal
    to it once both are dedented; the file has lines of its own between
    paragraphs (the test function around a few statements, the objects
    a fragment uses, the assertions). The file is one that meson runs
    (ASGIREF_DOC_SNIPPET_FILES), in the block's language.
<!-- snippet: output of examples/context-demo -->
    What a program prints: it exits with status 0, and every line of the
    block but "..." is a line of its output.
<!-- snippet: sh, run by .ci/run -->
    Commands that CI runs: each command of the block begins a command of
    the script, which may add options or redirections.
<!-- install-check: custom prefix -->
    The README's block that .ci/install-check runs as it is.
<!-- snippet: sh, not run: REASON -->
    Commands that nothing here runs (they install into the system, serve
    until Ctrl-C, or take minutes). Only what can go stale without running
    them is checked: the block parses, and the scripts, meson options,
    test suites and setups and asgiref-serve options it names exist.
<!-- snippet: figure -->
    A drawing or a listing in a block without a language: not code.

docs/python.md and docs/javascript.md belong to tests/python/test_docs.py,
which runs every python (js) block of them; their text blocks are, by
their convention, shown and not run. A block with no marker anywhere else
fails, so that no unchecked snippet can appear.

Usage: check-snippets.py SOURCE_ROOT. Exit status 0 when every block is
checked, 1 when one is not, 77 (a skip) when all that could be checked
passed but a file is not run in this build (no gjs, say).
"""

import functools
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys
import textwrap

TOP = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else '.').resolve()
GUARD = 60

# The pages whose blocks test_docs.py runs, and the language it runs.
RUN_BY_TEST_DOCS = {'docs/python.md': 'python', 'docs/javascript.md': 'js'}
# The scripts that CI runs: .ci/run is CI, and it runs the others.
CI_SCRIPTS = ('.ci/run', '.ci/test', '.ci/install-check')
LANGUAGES = {'c': '.c', 'python': '.py', 'js': '.js'}

FENCE = re.compile(r'^(\s*)```(\S*)\s*$')
MARKER = re.compile(r'^\s*<!-- snippet: (.+?) -->\s*$')
INSTALL_CHECK = '<!-- install-check: custom prefix -->'

# Files that meson runs, paths relative to the source root.
RUN_FILES = set(os.environ.get('ASGIREF_DOC_SNIPPET_FILES', '').split())
# Files that meson would run but cannot in this build (a missing tool).
UNAVAILABLE = set(os.environ.get('ASGIREF_DOC_SNIPPET_UNAVAILABLE', '').split())
# Programs by name (examples/context-demo, asgiref-serve): NAME=PATH pairs.
PROGRAMS = dict(pair.split('=', 1) for pair in os.environ.get('ASGIREF_DOC_PROGRAMS', '').split())

errors = []
skipped = []


def blocks(page):
    """(line number, language, marker line, body lines) of each fenced block."""
    lines = (TOP / page).read_text().split('\n')
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        start = i
        i += 1
        body = []
        while i < len(lines) and lines[i].strip() != '```':
            body.append(lines[i])
            i += 1
        if i == len(lines):
            errors.append('%s:%d: a fenced block that does not end' % (page, start + 1))
        yield start + 1, opening.group(2), lines[start - 1] if start > 0 else '', body
        i += 1


def paragraphs(lines):
    """Runs of lines between blank lines, or lines that say "..." (what a
    fragment leaves out)."""
    paragraph = []
    for line in lines:
        if line.strip() not in ('', '...'):
            paragraph.append(line.rstrip())
        elif paragraph:
            yield paragraph
            paragraph = []
    if paragraph:
        yield paragraph


def dedented(lines):
    return textwrap.dedent('\n'.join(lines)).split('\n')


def missing_paragraph(body, path):
    """The first paragraph of @body that @path does not hold in order, or None."""
    text = [line.rstrip() for line in (TOP / path).read_text().split('\n')]
    position = 0
    for paragraph in paragraphs(body):
        want = dedented(paragraph)
        for start in range(position, len(text) - len(want) + 1):
            if dedented(text[start:start + len(want)]) == want:
                position = start + len(want)
                break
        else:
            return paragraph
    return None


def check_file(where, language, body, path):
    if path in UNAVAILABLE:
        skipped.append('%s: %s is not run in this build' % (where, path))
    elif path not in RUN_FILES:
        errors.append('%s: %s is not a file the tests run (see tests/doc-snippets/meson.build)'
                      % (where, path))
        return
    if not (TOP / path).is_file():
        errors.append('%s: no file %s' % (where, path))
        return
    suffix = LANGUAGES.get(language)
    if suffix is not None and not path.endswith(suffix):
        errors.append('%s: a %s block checked against %s' % (where, language, path))
    paragraph = missing_paragraph(body, path)
    if paragraph is not None:
        errors.append('%s: %s does not have this paragraph (as it is, after the ones before it):\n%s'
                      % (where, path, textwrap.indent('\n'.join(paragraph), '    ')))


def check_output(where, body, program):
    path = PROGRAMS.get(program)
    if path is None:
        skipped.append('%s: %s is not built here' % (where, program))
        return
    result = subprocess.run([path], capture_output=True, text=True, timeout=GUARD)
    if result.returncode != 0:
        errors.append('%s: %s failed:\n%s' % (where, program, result.stderr))
        return
    printed = {line.rstrip() for line in result.stdout.split('\n')}
    for line in body:
        if line.strip() not in ('', '...') and line.rstrip() not in printed:
            errors.append('%s: %s does not print %r' % (where, program, line))


def commands(text):
    """The commands of a shell text, as lists of words (continuations joined)."""
    for line in text.replace('\\\n', ' ').split('\n'):
        try:
            words = shlex.split(line, comments=True)
        except ValueError:    # a line of a multi-line construct
            continue
        if words:
            yield words


def check_run_by(where, body, script):
    if script not in CI_SCRIPTS:
        errors.append('%s: %s is not a script CI runs (%s)' % (where, script, ', '.join(CI_SCRIPTS)))
        return
    run = list(commands((TOP / script).read_text()))
    for words in commands('\n'.join(body)):
        if not any(words == command[:len(words)] for command in run):
            errors.append('%s: %s runs no command that begins with %r'
                          % (where, script, shlex.join(words)))


@functools.lru_cache(maxsize=None)
def meson_names():
    """Options, test suites and test setups that the meson files define."""
    build_root = os.environ.get('ASGIREF_BUILD_ROOT')
    introspected = subprocess.run(['meson', 'introspect', '--buildoptions', build_root],
                                  capture_output=True, text=True, timeout=GUARD, check=True)
    options = {option['name'] for option in json.loads(introspected.stdout)}
    suites, setups = set(), set()
    for path in TOP.rglob('meson.build'):
        if any(part.startswith('_build') for part in path.relative_to(TOP).parts):
            continue
        text = path.read_text()
        for value in re.findall(r'\bsuite:\s*(\[[^]]*\]|\'[^\']*\')', text):
            suites.update(re.findall(r"'([^']*)'", value))
        setups.update(re.findall(r"add_test_setup\('([^']*)'", text))
    return options, suites, setups


def check_not_run(where, body):
    text = '\n'.join(body)
    parsed = subprocess.run(['bash', '-n'], input=text, capture_output=True, text=True)
    if parsed.returncode != 0:
        errors.append('%s: the commands do not parse:\n%s' % (where, parsed.stderr))
    options, suites, setups = meson_names()
    serve_help = None
    for words in commands(text):
        while words and re.match(r'^\w+=', words[0]):     # VAR=value command
            words = words[1:]
        if not words:
            continue
        if words[0] in ('sh', 'bash') and len(words) > 1:
            script = words[1]
        elif '/' in words[0] and not words[0].startswith(('/', '$', '~')):
            script = words[0]
        else:
            script = None
        if script is not None and not (TOP / script).is_file():
            errors.append('%s: no script %s' % (where, script))
        for before, word in zip([''] + words, words):
            if word.startswith('-D') and word[2:].split('=')[0] not in options:
                errors.append('%s: no meson option %s' % (where, word[2:].split('=')[0]))
            if before == '--suite' and word not in suites:
                errors.append('%s: no test suite %s' % (where, word))
            if before == '--setup' and word not in setups:
                errors.append('%s: no test setup %s' % (where, word))
        if words[0] == 'asgiref-serve':
            if 'asgiref-serve' not in PROGRAMS:
                skipped.append('%s: asgiref-serve is not built here' % where)
                continue
            if serve_help is None:
                serve_help = subprocess.run([PROGRAMS['asgiref-serve'], '--help'], capture_output=True,
                                            text=True, timeout=GUARD).stdout
            for word in words[1:]:
                if word.startswith('--') and not re.search(r'(^|\s)%s\b' % re.escape(word.split('=')[0]),
                                                           serve_help):
                    errors.append('%s: asgiref-serve has no option %s' % (where, word))


def check_block(page, line, language, before, body):
    where = '%s:%d' % (page, line)
    marker = MARKER.match(before)
    if before.strip() == INSTALL_CHECK:
        if language != 'sh' or INSTALL_CHECK not in (TOP / '.ci/install-check').read_text():
            errors.append('%s: .ci/install-check does not run this block' % where)
    elif marker is None:
        if RUN_BY_TEST_DOCS.get(page) == language:
            pass                                   # test_docs.py runs it
        elif page in RUN_BY_TEST_DOCS and language == 'text':
            pass                                   # that page's convention: not run
        else:
            errors.append('%s: a ```%s block with no <!-- snippet: ... --> marker on the line '
                          'before it (see tests/doc-snippets/check-snippets.py)' % (where, language))
    else:
        what = marker.group(1)
        if what == 'figure':
            if language:
                errors.append('%s: a ```%s block is code, not a figure' % (where, language))
        elif what.startswith('output of '):
            check_output(where, body, what[len('output of '):])
        elif what.startswith('sh, run by '):
            check_run_by(where, body, what[len('sh, run by '):])
        elif what.startswith('sh, not run: '):
            if language != 'sh':
                errors.append('%s: only sh blocks may go unrun' % where)
            check_not_run(where, body)
        elif what.startswith('sh'):
            errors.append('%s: an sh marker says "sh, run by SCRIPT" or "sh, not run: REASON"' % where)
        else:
            check_file(where, language, body, what)


def main():
    pages = ['README.md'] + sorted(str(path.relative_to(TOP)) for path in (TOP / 'docs').glob('*.md'))
    count = 0
    for page in pages:
        for line, language, before, body in blocks(page):
            check_block(page, line, language, before, body)
            count += 1
    for message in errors:
        print('FAIL', message)
    for message in skipped:
        print('SKIP', message)
    print('%d blocks in %d pages: %d failed, %d not checkable here'
          % (count, len(pages), len(errors), len(skipped)))
    if errors:
        return 1
    return 77 if skipped else 0


if __name__ == '__main__':
    sys.exit(main())
