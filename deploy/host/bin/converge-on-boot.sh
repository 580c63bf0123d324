#!/usr/bin/env bash
# At boot, brings every service on this host to the version Parameter Store says it should
# run (/<project>/<environment>/<service>/image), one redeploy.sh at a time. A service whose
# redeploy fails is reported and the others still converge; the exit status is non-zero if any
# failed, so systemd shows the unit as failed.
set -euo pipefail

: "${CHATOPS_PROJECT:?CHATOPS_PROJECT is not set}"
: "${CHATOPS_ENVIRONMENT:?CHATOPS_ENVIRONMENT is not set}"
: "${AWS_REGION:?AWS_REGION is not set}"
REDEPLOY="${REDEPLOY:-$(dirname "$(readlink -f "$0")")/redeploy.sh}"
prefix="/$CHATOPS_PROJECT/$CHATOPS_ENVIRONMENT/"

log() { printf '%s converge: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

# "name<TAB>value" lines for every */image parameter under the prefix. The backticks are
# JMESPath literals, not command substitution:
# shellcheck disable=SC2016
parameters="$(aws ssm get-parameters-by-path --region "$AWS_REGION" --path "$prefix" --recursive \
  --query 'Parameters[?ends_with(Name, `/image`)].[Name,Value]' --output text)"

failed=()
converged=0
while IFS=$'\t' read -r name value; do
  [[ -n "$name" ]] || continue
  service="${name#"$prefix"}"
  service="${service%/image}"
  # Terraform creates each parameter holding "none": never deployed, nothing to converge to.
  if [[ "$value" == none ]]; then
    log "$service: not deployed yet"
    continue
  fi
  log "$service -> $value"
  # redeploy.sh checks both values again; a bad one fails that service only.
  if "$REDEPLOY" "$service" "$value"; then
    converged=$((converged + 1))
  else
    failed+=("$service")
  fi
done <<<"$parameters"

if ((${#failed[@]})); then
  log "converged $converged service(s); failed: ${failed[*]}"
  exit 1
fi
log "converged $converged service(s)"
