#!/usr/bin/env bash
# agno's AgentOS, from PyPI into .tools/agno/, for the load benchmark's peer
# row (bench/src/agno-os.py serves it).
#   scripts/agno.sh install   -> makes the venv once, prints its python
set -euo pipefail

case "${1:-}" in
  install)
    exec "$(dirname "${BASH_SOURCE[0]}")/python-venv.sh" agno agno==3.1.10 fastapi==0.165.0 \
      "uvicorn[standard]==0.54.0" "sqlalchemy[asyncio]==2.1.9" openai==3.57.0 python-multipart==0.0.34
    ;;
  *) echo "usage: scripts/agno.sh install" >&2; exit 2 ;;
esac
