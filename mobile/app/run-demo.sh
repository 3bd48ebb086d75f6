#!/usr/bin/env bash
# The parents' app in a window against the demo town hall, in one command:
#   mobile/app/run-demo.sh
# Builds the mobile library and the server, starts `cartable-server demo` on 127.0.0.1:8080
# (unless something already listens there), puts the Kotlin SDK in the local Maven repository
# and opens the app (sign in as camille.martin / demo-parent). Needs a display, cargo, mvn, java.
set -euo pipefail
cd "$(dirname "$0")/../.."

target="$(realpath "${CARGO_TARGET_DIR:-target}")/debug"
cargo build --workspace --lib --bin cartable-server --bin uniffi-bindgen
(cd mobile && "$target/uniffi-bindgen" generate --no-format --language kotlin \
    --out-dir kotlin/target/generated-sources/uniffi "$target/libcartable_mobile.so")
(cd mobile/kotlin && mvn -q -B install -Dmaven.test.skip=true)

url=http://127.0.0.1:8080
if ! (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then
    data="${CARTABLE_DEMO_DIR:-${TMPDIR:-/tmp}/cartable-demo}"
    mkdir -p "$data"
    "$target/cartable-server" demo --listen 127.0.0.1:8080 --data-dir "$data" &
    server=$!
    trap 'kill "$server"' EXIT
    for _ in $(seq 1 60); do
        (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null && break
        sleep 1
    done
fi

cd mobile/app
mvn -q -B compile exec:java -Dcartable.url="$url" -Dcartable.library="$target/libcartable_mobile.so"
