#!/usr/bin/env bats
# converge-on-boot.sh with Parameter Store and docker faked on PATH.
# Each bats test runs in its own subshell by design, so variables set in one never leak:
# shellcheck disable=SC2030,SC2031

load helpers

setup() {
  setup_host
  export CHATOPS_ENVIRONMENT=staging
  export FAKE_PARAMETERS="$HOST_DIR/parameters.txt"
  CONVERGE="$BATS_TEST_DIRNAME/../bin/converge-on-boot.sh"
}
teardown() { teardown_host; }

@test "brings every service to its desired version from Parameter Store" {
  printf '/chatops/staging/api/image\tv7\n/chatops/staging/bot/image\tb3\n' >"$FAKE_PARAMETERS"
  run "$CONVERGE"
  [ "$status" -eq 0 ]
  [[ "$output" == *"converged 2 service(s)"* ]]
  [ "$(current_image api)" = "$REGISTRY_IMAGE-api:v7" ]
  [ "$(current_image bot)" = "$REGISTRY_IMAGE-bot:b3" ]
  grep -q -- "aws ssm get-parameters-by-path --region eu-west-1 --path /chatops/staging/ --recursive" "$FAKE_LOG"
}

@test "converges the others when one fails, and exits non-zero naming it" {
  printf '/chatops/staging/api/image\tv7\n/chatops/staging/bot/image\tb3\n' >"$FAKE_PARAMETERS"
  export FAKE_PULL_FAIL='-api:'
  run "$CONVERGE"
  [ "$status" -eq 1 ]
  [[ "$output" == *"converged 1 service(s); failed: api"* ]]
  [ "$(current_image bot)" = "$REGISTRY_IMAGE-bot:b3" ]
}

@test "a hostile value in Parameter Store reaches no shell command" {
  printf '/chatops/staging/api/image\tv1;reboot\n' >"$FAKE_PARAMETERS"
  run "$CONVERGE"
  [ "$status" -eq 1 ]
  [ "$(grep -c '^pull' "$FAKE_LOG")" -eq 0 ]
}

@test "does nothing, successfully, when no version is set" {
  : >"$FAKE_PARAMETERS"
  run "$CONVERGE"
  [ "$status" -eq 0 ]
  [[ "$output" == *"converged 0 service(s)"* ]]
}

@test "the systemd unit runs it once at boot after Docker and the network" {
  unit="$BATS_TEST_DIRNAME/../systemd/chatops-converge.service"
  grep -qx 'Type=oneshot' "$unit"
  grep -qx 'ExecStart=/opt/chatops/bin/converge-on-boot.sh' "$unit"
  grep -qx 'After=network-online.target docker.service' "$unit"
  grep -qx 'WantedBy=chatops.target' "$unit"
  grep -qx 'WantedBy=multi-user.target' "$BATS_TEST_DIRNAME/../systemd/chatops.target"
  grep -qx 'EnvironmentFile=/etc/chatops/host.env' "$unit"
}

@test "skips a service never deployed (Terraform's \"none\") and converges the others" {
  printf '/chatops/staging/api/image\tv7\n/chatops/staging/bot/image\tnone\n' >"$FAKE_PARAMETERS"
  run "$CONVERGE"
  [ "$status" -eq 0 ]
  [[ "$output" == *"bot: not deployed yet"* ]]
  [[ "$output" == *"converged 1 service(s)"* ]]
  [ "$(grep -c 'pull-start.*-bot:' "$FAKE_LOG")" -eq 0 ]
}

@test "reads only its own environment's parameters" {
  printf '/chatops/prod/api/image\tp1\n/chatops/staging/api/image\tv7\n' >"$FAKE_PARAMETERS"
  run "$CONVERGE"
  [ "$status" -eq 0 ]
  [ "$(current_image api)" = "$REGISTRY_IMAGE-api:v7" ]
}
