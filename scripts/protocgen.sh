#!/usr/bin/env bash
# Regenerates the Go code of every .proto file under proto/q1/, offline:
# Debian's protoc plus protoc-gen-gocosmos at the gogoproto version go.mod
# requires, with include paths into the Go module cache. Nothing is fetched
# but Go modules from the module proxy. Running it twice changes nothing; CI
# runs it and fails when the committed *.pb.go files differ.
set -euo pipefail
cd "$(dirname "$0")/.."

module=github.com/quantum1net/q1

command -v protoc >/dev/null || {
  echo "protoc not found: install Debian's protobuf-compiler (apt-get install protobuf-compiler)" >&2
  exit 1
}

# modpath MODULE prints where the module cache holds MODULE at the version
# go.mod requires, downloading it first if need be.
modpath() {
  local dir
  dir=$(go list -m -f '{{.Dir}}' "$1")
  if [ -z "$dir" ]; then
    go mod download "$1"
    dir=$(go list -m -f '{{.Dir}}' "$1")
  fi
  [ -n "$dir" ] || { echo "cannot locate module $1 in the module cache" >&2; exit 1; }
  echo "$dir"
}

gogo_version=$(go list -m -f '{{.Version}}' github.com/cosmos/gogoproto)
gobin=$(go env GOPATH)/bin
GOBIN="$gobin" go install "github.com/cosmos/gogoproto/protoc-gen-gocosmos@${gogo_version}"

sdk_dir=$(modpath github.com/cosmos/cosmos-sdk)
gogo_dir=$(modpath github.com/cosmos/gogoproto)
cosmos_proto_dir=$(modpath github.com/cosmos/cosmos-proto)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# protoc's own include directory (Debian: /usr/include) supplies the
# well-known types (google/protobuf/*.proto).
includes=(-I proto -I "$sdk_dir/proto" -I "$gogo_dir" -I "$cosmos_proto_dir/proto")
if [ -f /usr/include/google/protobuf/descriptor.proto ]; then
  includes+=(-I /usr/include)
fi

# One protoc run per proto package (directory), as protoc-gen-gocosmos needs.
find proto/q1 -name '*.proto' -print0 | xargs -0 -n1 dirname | LC_ALL=C sort -u | while read -r dir; do
  mapfile -t files < <(find "$dir" -maxdepth 1 -name '*.proto' | LC_ALL=C sort)
  protoc "${includes[@]}" \
    --plugin=protoc-gen-gocosmos="$gobin/protoc-gen-gocosmos" \
    --gocosmos_out=plugins=grpc,Mgoogle/protobuf/any.proto=github.com/cosmos/cosmos-sdk/codec/types:"$tmp" \
    "${files[@]}"
done

if [ -d "$tmp/$module" ]; then
  cp -r "$tmp/$module"/. ./
fi
