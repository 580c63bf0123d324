mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  certificate_arn = "arn:aws:acm:eu-west-1:111122223333:certificate/staging"
}

run "staging_composes_every_module_and_passes_every_policy" {
  command = apply

  assert {
    condition = alltrue([
      output.policy_checked.no_ssh.ingress_rules == 3, output.policy_checked.no_ssh.launch_templates == 1,
      output.policy_checked.imdsv2_required == 1, output.policy_checked.ebs_encrypted == 1,
      output.policy_checked.no_wildcard_actions == 21, output.policy_checked.no_write_on_any_resource == 21, output.policy_checked.standby_scoped == 1,
      output.policy_checked.managed_policies_allowed == 1, output.policy_checked.oidc_trust_limited == 1,
      output.policy_checked.ssm_parameters_constrained == 3, output.policy_checked.ecr_tags_immutable == 2,
    ])
    error_message = "every property must have been checked against what staging creates: ${jsonencode(output.policy_checked)}"
  }
  assert {
    condition     = keys(output.host_groups) == ["main"] && output.api_load_balancer_dns_name != null
    error_message = "staging has one host group behind the load balancer"
  }
  assert {
    condition     = keys(output.repository_urls) == ["api", "bot"]
    error_message = "one repository per catalog service"
  }
}
