#!/usr/bin/env bash
# The official openai Python package, from PyPI into .tools/pyopenai/, for the
# suite that talks to the /v1 facade as Python clients do.
#   scripts/python-openai.sh install   -> makes the venv once, prints its python
set -euo pipefail

case "${1:-}" in
  install) exec "$(dirname "${BASH_SOURCE[0]}")/python-venv.sh" pyopenai openai==3.51.0 ;;
  *) echo "usage: scripts/python-openai.sh install" >&2; exit 2 ;;
esac
