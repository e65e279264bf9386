#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Keeps the translations complete:
#  1. every source file that marks messages with _() / N_() / C_() is listed in
#     po/POTFILES.in, and every file listed there exists;
#  2. for every language in po/LINGUAS, the .po file is valid (msgfmt --check,
#     which also checks printf formats against their msgids) and translates
#     every message extracted from the sources now, with nothing fuzzy.
#
# Usage: tests/check-po.sh [SRCDIR]   (default: the directory above this script)
# Exit status: 0 complete, 1 something missing, 77 (skip) without gettext tools.
set -eu

srcdir=${1:-$(dirname "$0")/..}
cd "$srcdir"

for tool in xgettext msgmerge msgfmt msgattrib; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool not found (install gettext)"
    exit 77
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
status=0

# 1. POTFILES.in against the sources.
grep -v '^[[:space:]]*#' po/POTFILES.in | sed '/^[[:space:]]*$/d' | sort -u > "$tmp/listed"
while read -r f; do
  if [ ! -f "$f" ]; then
    echo "FAIL: po/POTFILES.in lists $f, which does not exist"
    status=1
  fi
done < "$tmp/listed"

for dir in asgiref asgiref/tools; do
  [ -d "$dir" ] || continue
  grep -l -E '(^|[^A-Za-z0-9_])(N?C?_)[[:space:]]*\(' "$dir"/*.c 2>/dev/null || true
done | sort -u > "$tmp/marked"
comm -23 "$tmp/marked" "$tmp/listed" > "$tmp/unlisted"
if [ -s "$tmp/unlisted" ]; then
  echo "FAIL: files with translatable messages missing from po/POTFILES.in:"
  sed 's/^/  /' "$tmp/unlisted"
  status=1
fi

# 2. Extract the messages as the build does (meson's 'glib' preset).
xgettext --from-code=UTF-8 --add-comments --language=C \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
  --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
  --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
  --flag=g_set_error:4:c-format --flag=g_error_new:3:c-format \
  --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format \
  --package-name=asgiref-glib --msgid-bugs-address=none \
  --files-from="$tmp/listed" --output="$tmp/asgiref.pot" 2>"$tmp/xgettext.err" || {
  echo "FAIL: xgettext:"; cat "$tmp/xgettext.err"; exit 1; }

total=$(msgattrib --no-obsolete "$tmp/asgiref.pot" 2>/dev/null | grep -c '^msgid ' || true)
# The header entry (msgid "") is not a message.
total=$((total > 0 ? total - 1 : 0))
echo "messages in the sources: $total"

langs=$(grep -v '^[[:space:]]*#' po/LINGUAS | tr -s ' \t' '\n\n' | sed '/^$/d')
if [ -z "$langs" ]; then
  echo "FAIL: po/LINGUAS lists no language"
  status=1
fi

for lang in $langs; do
  po=po/$lang.po
  if [ ! -f "$po" ]; then
    echo "FAIL: $po is listed in po/LINGUAS but missing"
    status=1
    continue
  fi
  if ! msgfmt --check --output-file=/dev/null "$po" 2>"$tmp/msgfmt.err"; then
    echo "FAIL: $po does not compile:"
    cat "$tmp/msgfmt.err"
    status=1
    continue
  fi
  # Merge without fuzzy matching: a changed msgid shows up as untranslated.
  msgmerge --quiet --no-fuzzy-matching --output-file="$tmp/$lang.po" "$po" "$tmp/asgiref.pot"
  stats=$(LC_ALL=C msgfmt --statistics --output-file=/dev/null "$tmp/$lang.po" 2>&1)
  translated=$(echo "$stats" | sed -n 's/^\([0-9]*\) translated message.*/\1/p')
  translated=${translated:-0}
  if [ "$translated" -ne "$total" ]; then
    echo "FAIL: $po: $stats (of $total in the sources); these need work:"
    msgattrib --untranslated --no-obsolete --no-wrap "$tmp/$lang.po" | grep '^msgid ' | grep -v '^msgid ""$' | sed 's/^/  untranslated: /' || true
    msgattrib --only-fuzzy --no-obsolete --no-wrap "$tmp/$lang.po" | grep '^msgid ' | grep -v '^msgid ""$' | sed 's/^/  fuzzy: /' || true
    echo "  (update with: meson compile -C _build asgiref-1.0-update-po, then translate)"
    status=1
  else
    echo "ok: $po translates all $total messages"
  fi
done

exit $status
