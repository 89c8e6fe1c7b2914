#!/usr/bin/env bash
# Runs the post-deploy smoke test against the local stack: starts `imgpipe-local` on spare ports with a throwaway
# data directory, uploads a photo through the API, waits for the derivatives, checks the bucket, renders it on demand
# through the local CDN, and stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
go build -tags nodynamic -o "$dir/imgpipe-local" ./cmd/imgpipe-local
api=127.0.0.1:${SMOKE_API_PORT:-18080} s3=127.0.0.1:${SMOKE_S3_PORT:-19000} cdn=127.0.0.1:${SMOKE_CDN_PORT:-18081}
"$dir/imgpipe-local" -data "$dir/data" -api "$api" -s3 "$s3" -cdn "$cdn" >"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 50); do curl -fs "http://$api/.well-known/jwks.json" >/dev/null 2>&1 && break; sleep 0.1; done
token=$("$dir/imgpipe-local" -data "$dir/data" token smoke)
AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local go run ./scripts/smoke -token "$token" \
  -api "http://$api/images" -cdn "http://$cdn" -bucket images -endpoint "http://$s3" -path-style -region us-east-1 "$@" \
  || { echo "--- local stack log"; cat "$dir/log"; exit 1; }
