#!/usr/bin/env bash
# The official openai Python package, from PyPI into .tools/pyopenai/, for the
# suite that talks to the /v1 facade as Python clients do.
#   scripts/python-openai.sh install   -> makes the venv once, prints its python
set -euo pipefail

openai_version=3.51.0
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.tools/pyopenai"

case "${1:-}" in
  install)
    if [ ! -f "$dir/.installed-$openai_version" ]; then
      command -v python3 >/dev/null 2>&1 || { echo "pyopenai: python3 is needed" >&2; exit 1; }
      python3 -m venv "$dir"
      "$dir/bin/python" -m pip install -q "openai==$openai_version" >&2
      touch "$dir/.installed-$openai_version"
    fi
    echo "$dir/bin/python"
    ;;
  *) echo "usage: scripts/python-openai.sh install" >&2; exit 2 ;;
esac
