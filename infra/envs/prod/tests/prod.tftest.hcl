mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  certificate_arn = "arn:aws:acm:eu-west-1:111122223333:certificate/prod"
}

run "prod_runs_two_api_hosts_across_zones_behind_the_load_balancer" {
  command = apply

  assert {
    condition     = keys(output.host_groups) == ["app", "control"] && output.host_groups["app"].instance_count == 2 && output.host_groups["control"].instance_count == 1
    error_message = "prod has two app hosts and one control host"
  }
  assert {
    condition     = length(distinct(output.host_groups["app"].subnet_ids)) == 2
    error_message = "the app hosts must be spread over two zones' subnets"
  }
  assert {
    condition     = output.api_load_balancer_dns_name != null
    error_message = "prod's API is behind the load balancer"
  }
  assert {
    condition     = output.policy_checked.no_ssh.launch_templates == 2 && output.policy_checked.ebs_encrypted == 2 && output.policy_checked.imdsv2_required == 2
    error_message = "both groups' launch templates must go through the policy checks: ${jsonencode(output.policy_checked)}"
  }
  assert {
    condition     = output.policy_checked.oidc_trust_limited == 1 && output.policy_checked.ssm_parameters_constrained == 3 && output.policy_checked.ecr_tags_immutable == 2
    error_message = "the trust, the document and the repositories must go through the policy checks"
  }
}

run "refuses_a_second_bot" {
  command = plan

  # The environment module's own validation: exactly one host may hold the gateway connection.
  module {
    source = "../../modules/environment"
  }
  variables {
    environment        = "prod"
    github_repository  = "acme/chatops"
    availability_zones = ["eu-west-1a", "eu-west-1b"]
    host_groups = {
      app     = { instance_count = 2, compose_profiles = ["control"], load_balancer = true }
      control = { instance_count = 1, compose_profiles = ["control"] }
    }
  }
  expect_failures = [var.host_groups]
}
