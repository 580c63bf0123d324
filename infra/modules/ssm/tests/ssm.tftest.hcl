mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  project     = "chatops"
  environment = "staging"
  services    = ["api", "bot"]
}

run "the_redeploy_document_constrains_every_parameter" {
  command = apply

  assert {
    condition     = aws_ssm_document.redeploy.name == "chatops-redeploy" && aws_ssm_document.redeploy.document_type == "Command"
    error_message = "the API sends <project>-redeploy, a Command document"
  }
  assert {
    condition     = alltrue([for name, spec in jsondecode(aws_ssm_document.redeploy.content).parameters : can(spec.allowedPattern)])
    error_message = "every parameter needs an allowedPattern"
  }
  assert {
    condition     = keys(jsondecode(aws_ssm_document.redeploy.content).parameters) == ["executionTimeout", "imageTag", "service"]
    error_message = "the API passes service and imageTag (executionTimeout has a default)"
  }
  assert {
    condition     = strcontains(join("\n", jsondecode(aws_ssm_document.redeploy.content).mainSteps[0].inputs.runCommand), "/opt/chatops/bin/redeploy.sh '{{ service }}' '{{ imageTag }}'")
    error_message = "the document must run the host's redeploy script with both parameters quoted"
  }
  assert {
    condition     = jsondecode(aws_ssm_document.redeploy.content).mainSteps[0].name == "redeploy"
    error_message = "the API reads the output of the step named redeploy"
  }
}

run "one_desired_version_parameter_per_service_owned_by_deploys" {
  command = apply

  assert {
    condition     = output.image_parameter_names == { api = "/chatops/staging/api/image", bot = "/chatops/staging/bot/image" }
    error_message = "the API and the hosts read /<project>/<environment>/<service>/image"
  }
  assert {
    condition     = alltrue([for p in aws_ssm_parameter.image : p.type == "String" && p.value == "none"])
    error_message = "desired versions start as \"none\" (not deployed yet)"
  }
}

run "secrets_are_secure_strings_under_the_environment_path_with_a_rotating_key" {
  command = apply

  assert {
    condition     = alltrue([for p in aws_ssm_parameter.secret : p.type == "SecureString" && p.key_id == aws_kms_key.secrets.arn && startswith(p.name, "/chatops/staging/secrets/")])
    error_message = "secrets must be SecureStrings under /chatops/staging/secrets/ encrypted with the module's key"
  }
  assert {
    condition     = contains(keys(aws_ssm_parameter.secret), "discord_token") && contains(keys(aws_ssm_parameter.secret), "api_service_token")
    error_message = "the bot's and the API's secrets must be there"
  }
  assert {
    condition     = contains(keys(aws_ssm_parameter.secret), "alertmanager_fallback_webhook_url")
    error_message = "Alertmanager's fallback Discord webhook (the relay's own alerts) must be a secret"
  }
  assert {
    condition     = aws_kms_key.secrets.enable_key_rotation
    error_message = "the secrets' key must rotate"
  }
  assert {
    condition     = alltrue([for p in aws_ssm_parameter.secret : p.value == "unset"])
    error_message = "Terraform must only ever hold the placeholder, never a secret"
  }
}

run "settings_are_plain_strings_under_config" {
  command = apply
  variables {
    settings = { DISCORD_APPLICATION_ID = "123456789012345678", ALERTS_CHANNEL_ID = "223456789012345678" }
  }

  assert {
    condition     = output.setting_parameter_names == { ALERTS_CHANNEL_ID = "/chatops/staging/config/ALERTS_CHANNEL_ID", DISCORD_APPLICATION_ID = "/chatops/staging/config/DISCORD_APPLICATION_ID" }
    error_message = "settings live under /<project>/<environment>/config/"
  }
  assert {
    condition     = alltrue([for p in aws_ssm_parameter.setting : p.type == "String"])
    error_message = "settings are not secrets"
  }
}

run "refuses_a_setting_that_is_not_an_environment_variable_name" {
  command = plan
  variables {
    settings = { "discord id" = "1" }
  }
  expect_failures = [var.settings]
}

run "refuses_a_secret_name_that_is_not_a_file_name" {
  command = plan
  variables {
    secrets = ["discord_token", "../../etc/passwd"]
  }
  expect_failures = [var.secrets]
}

run "refuses_a_hostile_environment_name" {
  command = plan
  variables {
    environment = "staging;reboot"
  }
  expect_failures = [var.environment]
}
