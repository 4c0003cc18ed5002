#!/usr/bin/env bash
# Makes a Python venv under .tools/ once, from PyPI, and prints its python.
# The scripts for each Python piece call it with their pinned packages.
#   scripts/python-venv.sh <name> <pip install arguments…>
# The venv is rebuilt when the arguments change (they name its marker file).
set -euo pipefail

name="${1:?name}"
shift
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.tools/$name"
marker="$dir/.installed-$(printf '%s ' "$@" | cksum | cut -d' ' -f1)"

if [ ! -f "$marker" ]; then
  command -v python3 >/dev/null 2>&1 || { echo "$name: python3 is needed" >&2; exit 1; }
  python3 -m venv "$dir"
  "$dir/bin/python" -m pip install -q "$@" >&2
  touch "$marker"
fi
echo "$dir/bin/python"
