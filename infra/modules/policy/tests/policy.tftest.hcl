# Every property on a compliant fixture, then one or more fixtures violating each property, which
# must be rejected: proof that no check passes vacuously.

variables {
  github_repository = "acme/chatops"
  ingress_rules = [
    { name = "alb https", ip_protocol = "tcp", from_port = 443, to_port = 443, source = "0.0.0.0/0" },
    { name = "hosts from alb", ip_protocol = "tcp", from_port = 3000, to_port = 3000, source = "sg-alb" },
  ]
  launch_templates = {
    docker-host = {
      http_tokens   = "required"
      http_endpoint = "enabled"
      block_devices = [{ device_name = "/dev/xvda", encrypted = true }]
    }
  }
  iam_policies = {
    host = <<-JSON
      {"Version": "2012-10-17", "Statement": [
        {"Sid": "Parameters", "Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:GetParametersByPath"],
         "Resource": "arn:aws:ssm:eu-west-1:111122223333:parameter/chatops/staging/*"},
        {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {"Sid": "Standby", "Effect": "Allow", "Action": ["autoscaling:EnterStandby", "autoscaling:ExitStandby"],
         "Resource": "arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:*:autoScalingGroupName/chatops-staging-main"},
        {"Sid": "DenyOthers", "Effect": "Deny", "Action": "ssm:PutParameter", "Resource": "*"}
      ]}
    JSON
  }
  managed_policy_arns = ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]
  github_trust_policies = {
    deploy = <<-JSON
      {"Version": "2012-10-17", "Statement": {"Effect": "Allow",
        "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {
          "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
          "token.actions.githubusercontent.com:sub": "repo:acme/chatops:environment:staging"}}}}
    JSON
  }
  ssm_documents = {
    redeploy = <<-JSON
      {"schemaVersion": "2.2", "parameters": {
        "service": {"type": "String", "allowedPattern": "^[a-z][a-z0-9-]{0,39}$"},
        "imageTag": {"type": "String", "allowedPattern": "^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|sha256:[a-f0-9]{64})$"}},
       "mainSteps": []}
    JSON
  }
  ecr_repositories = { chatops-api = { image_tag_mutability = "IMMUTABLE", scan_on_push = true } }
  state_buckets = {
    state = {
      block_public_acls       = true
      block_public_policy     = true
      ignore_public_acls      = true
      restrict_public_buckets = true
      object_ownership        = "BucketOwnerEnforced"
      policy                  = <<-JSON
        {"Version": "2012-10-17", "Statement": [{"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*",
          "Action": "s3:*", "Resource": ["arn:aws:s3:::state", "arn:aws:s3:::state/*"],
          "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
      JSON
    }
  }
}

run "compliant_fixture_passes_every_property" {
  command = plan

  assert {
    condition     = output.no_ssh == { ingress_rules = 2, launch_templates = 1 }
    error_message = "no_ssh did not check the fixture's rules and template"
  }
  assert {
    condition     = output.imdsv2_required == 1 && output.ebs_encrypted == 1
    error_message = "the launch template was not checked"
  }
  assert {
    condition     = output.no_wildcard_actions == 4 && output.no_write_on_any_resource == 4
    error_message = "the four statements were not checked"
  }
  assert {
    condition     = output.standby_scoped == 1
    error_message = "the standby statement was not checked"
  }
  assert {
    condition     = output.oidc_trust_limited == 1 && output.ssm_parameters_constrained == 2
    error_message = "the trust statement or the document parameters were not checked"
  }
  assert {
    condition     = output.ecr_tags_immutable == 1 && output.state_bucket_private == 1 && output.managed_policies_allowed == 1
    error_message = "the repository, the bucket or the managed policy was not checked"
  }
}

# --- no port 22 ---------------------------------------------------------------------------

run "rejects_port_22_open" {
  command = plan
  variables {
    ingress_rules = [{ name = "ssh", ip_protocol = "tcp", from_port = 22, to_port = 22, source = "0.0.0.0/0" }]
  }
  expect_failures = [output.no_ssh]
}

run "rejects_a_port_range_covering_22" {
  command = plan
  variables {
    ingress_rules = [{ name = "low ports", ip_protocol = "tcp", from_port = 0, to_port = 1024, source = "10.0.0.0/8" }]
  }
  expect_failures = [output.no_ssh]
}

run "rejects_all_traffic_ingress" {
  command = plan
  variables {
    ingress_rules = [{ name = "everything", ip_protocol = "-1", source = "10.0.0.0/16" }]
  }
  expect_failures = [output.no_ssh]
}

run "rejects_a_key_pair" {
  command = plan
  variables {
    launch_templates = {
      docker-host = {
        http_tokens   = "required"
        http_endpoint = "enabled"
        key_name      = "ops"
        block_devices = [{ device_name = "/dev/xvda", encrypted = true }]
      }
    }
  }
  expect_failures = [output.no_ssh]
}

# --- IMDSv2 -------------------------------------------------------------------------------

run "rejects_optional_imds_tokens" {
  command = plan
  variables {
    launch_templates = {
      docker-host = {
        http_tokens   = "optional"
        http_endpoint = "enabled"
        block_devices = [{ device_name = "/dev/xvda", encrypted = true }]
      }
    }
  }
  expect_failures = [output.imdsv2_required]
}

# --- EBS encryption -----------------------------------------------------------------------

run "rejects_an_unencrypted_volume" {
  command = plan
  variables {
    launch_templates = {
      docker-host = {
        http_tokens   = "required"
        http_endpoint = "enabled"
        block_devices = [{ device_name = "/dev/xvda", encrypted = true }, { device_name = "/dev/xvdb", encrypted = false }]
      }
    }
  }
  expect_failures = [output.ebs_encrypted]
}

run "rejects_a_template_that_leaves_its_volumes_to_the_ami" {
  command = plan
  variables {
    launch_templates = {
      docker-host = { http_tokens = "required", http_endpoint = "enabled", block_devices = [] }
    }
  }
  expect_failures = [output.ebs_encrypted]
}

# --- IAM: wildcard actions ----------------------------------------------------------------

run "rejects_action_star" {
  command = plan
  variables {
    iam_policies = { admin = "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"arn:aws:s3:::x\"}}" }
  }
  expect_failures = [output.no_wildcard_actions]
}

run "rejects_a_service_wildcard_among_actions" {
  command = plan
  variables {
    iam_policies = { ssm = "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"ssm:GetParameter\", \"ssm:*\"], \"Resource\": \"arn:aws:ssm:eu-west-1:1:parameter/x\"}]}" }
  }
  expect_failures = [output.no_wildcard_actions]
}

run "rejects_not_action" {
  command = plan
  variables {
    iam_policies = { everything-but = "{\"Statement\": [{\"Effect\": \"Allow\", \"NotAction\": \"iam:*\", \"Resource\": \"arn:aws:s3:::x\"}]}" }
  }
  expect_failures = [output.no_wildcard_actions]
}

# --- IAM: writes on Resource "*" ------------------------------------------------------------

run "rejects_put_parameter_on_any_resource" {
  command = plan
  variables {
    iam_policies = { deploy = "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"ssm:GetParameter\", \"ssm:PutParameter\"], \"Resource\": \"*\"}]}" }
  }
  expect_failures = [output.no_write_on_any_resource]
}

run "rejects_send_command_with_star_among_resources" {
  command = plan
  variables {
    iam_policies = { deploy = "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"ssm:SendCommand\", \"Resource\": [\"arn:aws:ssm:eu-west-1:1:document/x\", \"*\"]}]}" }
  }
  expect_failures = [output.no_write_on_any_resource]
}

run "rejects_a_write_under_not_resource" {
  command = plan
  variables {
    iam_policies = { deploy = "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"ecr:PutImage\", \"NotResource\": \"arn:aws:ecr:eu-west-1:1:repository/x\"}]}" }
  }
  expect_failures = [output.no_write_on_any_resource]
}

# --- standby: named groups only -------------------------------------------------------------

run "rejects_standby_on_any_resource" {
  command = plan
  variables {
    iam_policies = { host = "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"autoscaling:EnterStandby\", \"autoscaling:ExitStandby\"], \"Resource\": \"*\"}]}" }
  }
  expect_failures = [output.no_write_on_any_resource, output.standby_scoped]
}

run "rejects_standby_in_every_group_by_a_name_wildcard" {
  command = plan
  variables {
    iam_policies = { host = "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"autoscaling:EnterStandby\", \"Resource\": \"arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:*:autoScalingGroupName/*\"}]}" }
  }
  expect_failures = [output.standby_scoped]
}

run "rejects_standby_through_an_action_wildcard" {
  command = plan
  variables {
    iam_policies = { host = "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"autoscaling:*Standby\", \"Resource\": \"arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:*:autoScalingGroupName/chatops-*\"}]}" }
  }
  expect_failures = [output.standby_scoped]
}

run "rejects_an_unlisted_managed_policy" {
  command = plan
  variables {
    managed_policy_arns = ["arn:aws:iam::aws:policy/AdministratorAccess"]
  }
  expect_failures = [output.managed_policies_allowed]
}

# --- GitHub OIDC trust --------------------------------------------------------------------

run "rejects_trust_for_every_repository_of_the_owner" {
  command = plan
  variables {
    github_trust_policies = {
      deploy = <<-JSON
        {"Statement": {"Effect": "Allow",
          "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"},
          "Action": "sts:AssumeRoleWithWebIdentity",
          "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                        "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"}}}}
      JSON
    }
  }
  expect_failures = [output.oidc_trust_limited]
}

run "rejects_trust_without_a_subject_condition" {
  command = plan
  variables {
    github_trust_policies = {
      deploy = <<-JSON
        {"Statement": {"Effect": "Allow",
          "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"},
          "Action": "sts:AssumeRoleWithWebIdentity",
          "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}}
      JSON
    }
  }
  expect_failures = [output.oidc_trust_limited]
}

run "rejects_trust_for_another_repository" {
  command = plan
  variables {
    github_trust_policies = {
      deploy = <<-JSON
        {"Statement": {"Effect": "Allow",
          "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"},
          "Action": "sts:AssumeRoleWithWebIdentity",
          "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                                         "token.actions.githubusercontent.com:sub": "repo:acme/chatops-fork:environment:prod"}}}}
      JSON
    }
  }
  expect_failures = [output.oidc_trust_limited]
}

run "rejects_trust_without_the_sts_audience" {
  command = plan
  variables {
    github_trust_policies = {
      deploy = <<-JSON
        {"Statement": {"Effect": "Allow",
          "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"},
          "Action": "sts:AssumeRoleWithWebIdentity",
          "Condition": {"StringEquals": {"token.actions.githubusercontent.com:sub": "repo:acme/chatops:environment:prod"}}}}
      JSON
    }
  }
  expect_failures = [output.oidc_trust_limited]
}

run "rejects_trust_that_also_admits_any_aws_principal" {
  command = plan
  variables {
    github_trust_policies = {
      deploy = <<-JSON
        {"Statement": {"Effect": "Allow",
          "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com", "AWS": "*"},
          "Action": ["sts:AssumeRoleWithWebIdentity", "sts:AssumeRole"],
          "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                                         "token.actions.githubusercontent.com:sub": "repo:acme/chatops:environment:prod"}}}}
      JSON
    }
  }
  expect_failures = [output.oidc_trust_limited]
}

# --- SSM document parameters --------------------------------------------------------------

run "rejects_a_parameter_without_allowed_pattern" {
  command = plan
  variables {
    ssm_documents = {
      redeploy = "{\"parameters\": {\"service\": {\"type\": \"String\", \"allowedPattern\": \"^[a-z]+$\"}, \"imageTag\": {\"type\": \"String\"}}}"
    }
  }
  expect_failures = [output.ssm_parameters_constrained]
}

run "rejects_an_unanchored_pattern" {
  command = plan
  variables {
    ssm_documents = { redeploy = "{\"parameters\": {\"imageTag\": {\"type\": \"String\", \"allowedPattern\": \"[A-Za-z0-9]+\"}}}" }
  }
  expect_failures = [output.ssm_parameters_constrained]
}

run "rejects_a_pattern_that_lets_shell_syntax_through" {
  command = plan
  variables {
    ssm_documents = { redeploy = "{\"parameters\": {\"imageTag\": {\"type\": \"String\", \"allowedPattern\": \"^.+$\"}}}" }
  }
  expect_failures = [output.ssm_parameters_constrained]
}

# --- ECR ----------------------------------------------------------------------------------

run "rejects_mutable_tags" {
  command = plan
  variables {
    ecr_repositories = {
      chatops-api = { image_tag_mutability = "IMMUTABLE", scan_on_push = true }
      chatops-bot = { image_tag_mutability = "MUTABLE", scan_on_push = true }
    }
  }
  expect_failures = [output.ecr_tags_immutable]
}

# --- state bucket -------------------------------------------------------------------------

run "rejects_a_state_bucket_allowing_public_policies" {
  command = plan
  variables {
    state_buckets = {
      state = {
        block_public_acls       = true
        block_public_policy     = false
        ignore_public_acls      = true
        restrict_public_buckets = true
        object_ownership        = "BucketOwnerEnforced"
        policy                  = "{\"Statement\": [{\"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": \"s3:*\", \"Resource\": \"*\", \"Condition\": {\"Bool\": {\"aws:SecureTransport\": \"false\"}}}]}"
      }
    }
  }
  expect_failures = [output.state_bucket_private]
}

run "rejects_a_state_bucket_readable_by_anyone" {
  command = plan
  variables {
    state_buckets = {
      state = {
        block_public_acls       = true
        block_public_policy     = true
        ignore_public_acls      = true
        restrict_public_buckets = true
        object_ownership        = "BucketOwnerEnforced"
        policy                  = "{\"Statement\": [{\"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": \"s3:*\", \"Resource\": \"*\", \"Condition\": {\"Bool\": {\"aws:SecureTransport\": \"false\"}}}, {\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"*\"}, \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::state/*\"}]}"
      }
    }
  }
  expect_failures = [output.state_bucket_private]
}

run "rejects_a_state_bucket_without_the_tls_only_policy" {
  command = plan
  variables {
    state_buckets = {
      state = {
        block_public_acls       = true
        block_public_policy     = true
        ignore_public_acls      = true
        restrict_public_buckets = true
        object_ownership        = "BucketOwnerEnforced"
        policy                  = "{\"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::1:root\"}, \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::state/*\"}]}"
      }
    }
  }
  expect_failures = [output.state_bucket_private]
}

run "rejects_a_state_bucket_with_acls_enabled" {
  command = plan
  variables {
    state_buckets = {
      state = {
        block_public_acls       = true
        block_public_policy     = true
        ignore_public_acls      = true
        restrict_public_buckets = true
        object_ownership        = "ObjectWriter"
        policy                  = "{\"Statement\": [{\"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": \"s3:*\", \"Resource\": \"*\", \"Condition\": {\"Bool\": {\"aws:SecureTransport\": \"false\"}}}]}"
      }
    }
  }
  expect_failures = [output.state_bucket_private]
}
