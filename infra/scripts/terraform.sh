#!/usr/bin/env bash
# Offline checks of every Terraform root under infra/ (bootstrap, envs/*, modules/*):
#   terraform.sh fmt       terraform fmt -check -recursive
#   terraform.sh validate  terraform init -backend=false + terraform validate, each root
#   terraform.sh test      terraform test (mock_provider "aws"), each root with a tests/ folder
# Providers come from TF_PLUGIN_DIR (default /opt/tf-plugins, a mirror of hashicorp/aws), so
# nothing is downloaded; without that folder, init falls back to the registry.
set -euo pipefail

infra="$(cd "$(dirname "$0")/.." && pwd)"
mode="${1:-}"
case "$mode" in
  fmt | validate | test) ;;
  *)
    echo "usage: $0 fmt|validate|test" >&2
    exit 2
    ;;
esac

# A CLI configuration named but missing only produces warnings on every command.
if [[ -n "${TF_CLI_CONFIG_FILE:-}" && ! -f "$TF_CLI_CONFIG_FILE" ]]; then unset TF_CLI_CONFIG_FILE; fi

if ! command -v terraform >/dev/null 2>&1; then
  cat >&2 <<'MSG'
terraform is not installed. Install Terraform 1.11 or later
(https://developer.hashicorp.com/terraform/install, e.g. the hashicorp apt repository:
apt-get install terraform) and mirror the AWS provider ~> 5.100 into /opt/tf-plugins
(terraform providers mirror /opt/tf-plugins), or set TF_PLUGIN_DIR to your mirror.
MSG
  exit 1
fi
version="$(terraform version -json | sed -n 's/.*"terraform_version": *"\([0-9.]*\)".*/\1/p')"
if [[ "$(printf '%s\n1.11.0\n' "$version" | sort -V | head -1)" != "1.11.0" ]]; then
  echo "terraform $version is too old: these checks need 1.11 or later (mock_provider sources, use_lockfile)" >&2
  exit 1
fi

export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
plugin_dir="${TF_PLUGIN_DIR:-/opt/tf-plugins}"

if [[ "$mode" == fmt ]]; then
  terraform fmt -check -recursive -diff "$infra"
  echo "terraform fmt: clean"
  exit 0
fi

roots=()
while IFS= read -r dir; do roots+=("$dir"); done < <(
  find "$infra/bootstrap" "$infra/envs" "$infra/modules" -name '*.tf' -not -path '*/.terraform/*' -printf '%h\n' | sort -u
)

init() {
  local root="$1" args=(init -backend=false -input=false -no-color)
  if [[ -d "$plugin_dir" ]]; then args+=("-plugin-dir=$plugin_dir"); fi
  (cd "$root" && terraform "${args[@]}" >/dev/null) || {
    echo "terraform init failed in ${root#"$infra"/}" >&2
    return 1
  }
}

failed=()
checked=0
for root in "${roots[@]}"; do
  name="${root#"$infra"/}"
  if [[ "$mode" == test && ! -d "$root/tests" ]]; then
    echo "$name: no tests/ (covered through the roots that use it)"
    continue
  fi
  checked=$((checked + 1))
  if ! init "$root"; then
    failed+=("$name")
    continue
  fi
  if [[ "$mode" == validate ]]; then
    if output="$(cd "$root" && terraform validate -no-color 2>&1)"; then echo "$name: valid"; else
      printf '%s\n%s\n' "$name:" "$output" >&2
      failed+=("$name")
    fi
  else
    echo "== $name"
    if ! (cd "$root" && terraform test -no-color); then failed+=("$name"); fi
  fi
done

if ((${#failed[@]})); then
  echo "terraform $mode failed in: ${failed[*]}" >&2
  exit 1
fi
echo "terraform $mode: $checked of ${#roots[@]} roots checked, all ok"
