#!/usr/bin/env bash
# Offline checks of the AMI template:
#   check.sh fmt       packer fmt -check
#   check.sh validate  packer validate -syntax-only
# Debian's packer (1.6.6) predates `required_plugins`, so the syntax check runs on a copy without
# the `packer {}` block; a full `packer validate` needs `packer init` and the amazon plugin
# (.github/workflows/ami.yml). The template's content is asserted by tools/contracts/test/packer.spec.ts.
set -euo pipefail

dir="$(cd "$(dirname "$0")" && pwd)"
mode="${1:-}"
if ! command -v packer >/dev/null 2>&1; then
  echo "packer is not installed: apt-get install packer (Debian's 1.6.6 is enough for these checks), or install Packer 1.10+ from HashiCorp" >&2
  exit 1
fi
export CHECKPOINT_DISABLE=1 PACKER_CHECKPOINT_DISABLE=1

case "$mode" in
  fmt)
    packer fmt -check -diff "$dir/docker-host.pkr.hcl"
    echo "packer fmt: clean"
    ;;
  validate)
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    # Drop the top-level `packer { … }` block (from its line to the first line that is just "}").
    awk '/^packer \{/ { skip = 1 } !skip { print } skip && /^\}/ { skip = 0 }' \
      "$dir/docker-host.pkr.hcl" >"$work/docker-host.pkr.hcl"
    if grep -q '^packer {' "$work/docker-host.pkr.hcl"; then
      echo "could not set the packer block aside" >&2
      exit 1
    fi
    (cd "$work" && packer validate -syntax-only .)
    ;;
  *)
    echo "usage: $0 fmt|validate" >&2
    exit 2
    ;;
esac
