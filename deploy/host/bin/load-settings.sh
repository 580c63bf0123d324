#!/usr/bin/env bash
# At start, before any container: copies this environment's secrets and settings from Parameter
# Store to tmpfs, where compose mounts them.
#   /<project>/<environment>/secrets/<name>  (SecureString) -> $SECRETS_DIR/<name>   (compose secrets)
#   /<project>/<environment>/config/<NAME>   (String)       -> $CONFIG_ENV, NAME=value lines
# Values are never printed. A secret still holding Terraform's placeholder ("unset") fails the
# unit, naming it, so the stack does not start half-configured.
set -euo pipefail

: "${CHATOPS_PROJECT:?CHATOPS_PROJECT is not set}"
: "${CHATOPS_ENVIRONMENT:?CHATOPS_ENVIRONMENT is not set}"
: "${AWS_REGION:?AWS_REGION is not set}"
SECRETS_DIR="${SECRETS_DIR:-/run/chatops/secrets}"
CONFIG_ENV="${CONFIG_ENV:-/run/chatops/config.env}"
readonly SECRET_NAME_PATTERN='^[a-z][a-z0-9_]{0,62}$'
readonly SETTING_NAME_PATTERN='^[A-Z][A-Z0-9_]{0,62}$'
prefix="/$CHATOPS_PROJECT/$CHATOPS_ENVIRONMENT"

log() { printf '%s settings: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

# The directory is root's alone; the files in it are readable so that non-root containers can read
# the one compose bind-mounts for them.
install -d -m 0700 "$SECRETS_DIR"
install -d -m 0755 "$(dirname "$CONFIG_ENV")"

names="$(aws ssm get-parameters-by-path --region "$AWS_REGION" --path "$prefix/secrets/" \
  --query 'Parameters[].[Name]' --output text)"
unset_secrets=()
written=0
while IFS= read -r name; do
  [[ -n "$name" ]] || continue
  secret="${name#"$prefix/secrets/"}"
  if ! [[ "$secret" =~ $SECRET_NAME_PATTERN ]]; then
    log "skipping $name: not a valid secret name"
    continue
  fi
  tmp="$(mktemp "$SECRETS_DIR/.$secret.XXXXXX")"
  # One call per secret: values may span lines (a GitHub App's private key).
  aws ssm get-parameter --region "$AWS_REGION" --name "$name" --with-decryption \
    --query 'Parameter.Value' --output text >"$tmp"
  if [[ "$(cat "$tmp")" == "unset" ]]; then
    rm -f "$tmp"
    unset_secrets+=("$secret")
    continue
  fi
  chmod 0444 "$tmp"
  mv "$tmp" "$SECRETS_DIR/$secret"
  written=$((written + 1))
done <<<"$names"

settings="$(aws ssm get-parameters-by-path --region "$AWS_REGION" --path "$prefix/config/" \
  --query 'Parameters[].[Name,Value]' --output text)"
tmp="$(mktemp "$CONFIG_ENV.XXXXXX")"
count=0
while IFS=$'\t' read -r name value; do
  [[ -n "$name" ]] || continue
  setting="${name#"$prefix/config/"}"
  if ! [[ "$setting" =~ $SETTING_NAME_PATTERN ]]; then
    log "skipping $name: not an environment variable name"
    continue
  fi
  printf '%s=%s\n' "$setting" "$value" >>"$tmp"
  count=$((count + 1))
done <<<"$settings"
chmod 0644 "$tmp"
mv "$tmp" "$CONFIG_ENV"

if ((${#unset_secrets[@]})); then
  log "not set yet: ${unset_secrets[*]} (aws ssm put-parameter --overwrite --type SecureString --name $prefix/secrets/<name> ...)"
  exit 1
fi
log "wrote $written secret(s) to $SECRETS_DIR and $count setting(s) to $CONFIG_ENV"
