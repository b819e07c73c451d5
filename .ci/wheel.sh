#!/usr/bin/env bash
# The built wheel works, not only the editable install: build it, install it with the api
# and maps extras into a fresh virtual environment outside the source tree, run
# `gridgov demo` from there and start `gridgov serve` on the demo until /health answers.
# A module or data file missing from the wheel fails here (it did: api.routes was not
# packaged and the installed `gridgov serve` could not start).
#
#   bash .ci/wheel.sh            # uses python3 (or $PYTHON); cleans up after itself
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gridgov-wheel.XXXXXX")
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== wheel: build"
"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$WORK/dist" . >/dev/null
WHEEL=$(ls "$WORK"/dist/gridgov-*.whl)
echo "   $(basename "$WHEEL")"
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install --quiet --upgrade pip 2>"$WORK/pip.log" || { cat "$WORK/pip.log"; exit 1; }
"$WORK/venv/bin/python" -m pip install --quiet "${WHEEL}[api,maps]" 2>"$WORK/pip.log" || { cat "$WORK/pip.log"; exit 1; }

cd "$WORK"  # away from the source tree: only the installed wheel can be imported
echo "== wheel: gridgov demo"
"$WORK/venv/bin/python" - <<'PY'
import gridgov, sys
where = gridgov.__file__
if "site-packages" not in where:
    sys.exit(f"gridgov imported from {where}, not from the installed wheel")
PY
"$WORK/venv/bin/gridgov" demo --out "$WORK/demo" >"$WORK/demo.log" 2>&1 || { cat "$WORK/demo.log"; exit 1; }
tail -n 4 "$WORK/demo.log" | sed 's/^/   /'
for f in huarong.gpkg coverage/coverage-map.html consolidation/consolidation.xlsx issues/huarong-issues-week.xlsx; do
  [ -s "$WORK/demo/$f" ] || { echo "wheel demo did not write $f" >&2; exit 1; }
done

echo "== wheel: gridgov serve"
PORT=$("$WORK/venv/bin/python" -c "from gridgov.testing import free_port; print(free_port())")
"$WORK/venv/bin/gridgov" serve "$WORK/demo/huarong.gpkg" --port "$PORT" >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
"$WORK/venv/bin/python" - "$PORT" <<'PY' || { cat "$WORK/serve.log"; exit 1; }
import json, sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/health"
deadline = time.monotonic() + 60
while True:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            body = json.load(response)
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit(f"{url} did not answer within 60 s")
        time.sleep(0.5)
print("   /health:", json.dumps(body, ensure_ascii=False))
PY
echo "== wheel: ok"
