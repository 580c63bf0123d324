#!/usr/bin/env bats
# load-settings.sh with Parameter Store faked on PATH.
# Each bats test runs in its own subshell by design, so variables set in one never leak:
# shellcheck disable=SC2030,SC2031

load helpers

setup() {
  setup_host
  export CHATOPS_ENVIRONMENT=staging
  export FAKE_PARAMETERS="$HOST_DIR/parameters.txt"
  export SECRETS_DIR="$HOST_DIR/run/secrets" CONFIG_ENV="$HOST_DIR/run/config.env"
  LOAD="$BATS_TEST_DIRNAME/../bin/load-settings.sh"
}
teardown() { teardown_host; }

@test "writes each secret to its own file and the settings to config.env, printing no value" {
  {
    printf '/chatops/staging/secrets/discord_token\tdiscord-secret-value\n'
    printf '/chatops/staging/secrets/github_app_private_key\t-----BEGIN KEY-----\\nline2\\n-----END KEY-----\n'
    printf '/chatops/staging/config/ALERTS_CHANNEL_ID\t223456789012345678\n'
    printf '/chatops/prod/secrets/discord_token\tprod-value\n'
  } >"$FAKE_PARAMETERS"
  run "$LOAD"
  [ "$status" -eq 0 ]
  [[ "$output" == *"wrote 2 secret(s)"*"1 setting(s)"* ]]
  [[ "$output" != *"secret-value"* && "$output" != *"BEGIN KEY"* ]]
  [ "$(cat "$SECRETS_DIR/discord_token")" = "discord-secret-value" ]
  [ "$(sed -n 2p "$SECRETS_DIR/github_app_private_key")" = "line2" ]
  [ "$(cat "$CONFIG_ENV")" = "ALERTS_CHANNEL_ID=223456789012345678" ]
  [ "$(stat -c %a "$SECRETS_DIR")" = "700" ]
  [ "$(stat -c %a "$SECRETS_DIR/discord_token")" = "444" ]
  grep -q -- "get-parameter --region eu-west-1 --name /chatops/staging/secrets/discord_token --with-decryption" "$FAKE_LOG"
  [ "$(grep -c 'chatops/prod' "$FAKE_LOG")" -eq 0 ]
}

@test "fails naming the secrets still holding Terraform's placeholder, and writes none of them" {
  {
    printf '/chatops/staging/secrets/discord_token\tunset\n'
    printf '/chatops/staging/secrets/database_url\tunset\n'
    printf '/chatops/staging/secrets/api_service_token\ts3cr3t-token-value\n'
  } >"$FAKE_PARAMETERS"
  run "$LOAD"
  [ "$status" -eq 1 ]
  [[ "$output" == *"not set yet: discord_token database_url"* ]]
  [ ! -e "$SECRETS_DIR/discord_token" ]
  [ -e "$SECRETS_DIR/api_service_token" ]
}

@test "skips names that are not safe file or variable names" {
  {
    printf '/chatops/staging/secrets/../../etc/passwd\tx\n'
    printf '/chatops/staging/config/lower case\tx\n'
    printf '/chatops/staging/config/API_URL\thttp://api:3000\n'
  } >"$FAKE_PARAMETERS"
  run "$LOAD"
  [ "$status" -eq 0 ]
  [[ "$output" == *"skipping /chatops/staging/secrets/../../etc/passwd: not a valid secret name"* ]]
  [[ "$output" == *"skipping /chatops/staging/config/lower case: not an environment variable name"* ]]
  [ "$(cat "$CONFIG_ENV")" = "API_URL=http://api:3000" ]
  [ -z "$(ls "$SECRETS_DIR")" ]
}

@test "the systemd unit runs before convergence and the stack, once host.env exists" {
  dir="$BATS_TEST_DIRNAME/../systemd"
  grep -qx 'ExecStart=/opt/chatops/bin/load-settings.sh' "$dir/chatops-settings.service"
  grep -qx 'ConditionPathExists=/etc/chatops/host.env' "$dir/chatops-settings.service"
  grep -qx 'Requires=chatops-settings.service' "$dir/chatops-converge.service"
  grep -qx 'After=chatops-settings.service' "$dir/chatops-converge.service"
  grep -qx 'After=docker.service chatops-settings.service chatops-converge.service' "$dir/chatops-stack.service"
  grep -qx 'Wants=chatops-settings.service chatops-converge.service chatops-stack.service' "$dir/chatops.target"
}
