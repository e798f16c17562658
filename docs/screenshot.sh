#!/usr/bin/env bash
# Screenshots of built documentation pages with headless Chromium, to check
# that they render. Build the docs first (see README, "Documentation").
# Usage: docs/screenshot.sh [OUTPUT_DIR] [PAGE ...]  (pages relative to docs/_build/html)
set -euo pipefail
cd "$(dirname "$0")"
out="${1:-_build/screenshots}"
shift || true
pages=("$@")
[ ${#pages[@]} -gt 0 ] || pages=(index.html auto_examples/plot_text_attention.html)
mkdir -p "$out"
out="$(cd "$out" && pwd)"
browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome)"
for page in "${pages[@]}"; do
    profile="$(mktemp -d)"
    png="$out/$(echo "${page%.html}" | tr / _).png"
    "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
        --user-data-dir="$profile" --window-size=1280,2000 \
        --screenshot="$png" "file://$PWD/_build/html/$page" 2>/dev/null
    rm -rf "$profile"
    echo "$png"
done
