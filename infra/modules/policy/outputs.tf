# Each output is one property; its value is how many objects it was checked against, so a root can
# assert that it really fed this module something.

output "no_ssh" {
  description = "No ingress rule opens port 22 and no launch template carries a key pair (access is by SSM Session Manager)."
  value       = { ingress_rules = length(var.ingress_rules), launch_templates = length(var.launch_templates) }

  precondition {
    condition     = length(local.ssh_open_rules) == 0 && length(local.templates_with_key_pair) == 0
    error_message = "SSH must stay closed. Ingress rules opening port 22: [${join(", ", local.ssh_open_rules)}]; launch templates with a key pair: [${join(", ", local.templates_with_key_pair)}]."
  }
}

output "imdsv2_required" {
  description = "Every launch template requires IMDSv2 session tokens."
  value       = length(var.launch_templates)

  precondition {
    condition     = length(local.templates_without_imdsv2) == 0
    error_message = "IMDSv2 must be required (http_tokens = \"required\") on: ${join(", ", local.templates_without_imdsv2)}."
  }
}

output "ebs_encrypted" {
  description = "Every block device of every launch template is encrypted."
  value       = length(flatten([for template in var.launch_templates : template.block_devices]))

  precondition {
    condition     = length(local.unencrypted_devices) == 0 && length(local.templates_without_devices) == 0
    error_message = "EBS volumes must be encrypted. Unencrypted: [${join(", ", local.unencrypted_devices)}]; templates that do not declare their volumes: [${join(", ", local.templates_without_devices)}]."
  }
}

output "no_wildcard_actions" {
  description = "No Allow statement grants every action (\"*\", \"*:*\", \"service:*\" or NotAction)."
  value       = length(local.iam_statements)

  precondition {
    condition     = length(local.wildcard_action_statements) == 0
    error_message = "IAM statements must name their actions; wildcard actions in: ${join(", ", local.wildcard_action_statements)}."
  }
}

output "no_write_on_any_resource" {
  description = "No Allow statement grants a write action on Resource \"*\" (or NotResource)."
  value       = length(local.iam_statements)

  precondition {
    condition     = length(local.write_on_any_resource) == 0
    error_message = "Write actions must be scoped to resources; on \"*\": ${join(", ", local.write_on_any_resource)}."
  }
}

output "standby_scoped" {
  description = "Putting hosts on standby (autoscaling:EnterStandby, ExitStandby) is allowed only in named Auto Scaling groups."
  value       = length(local.standby_statements)

  precondition {
    condition     = length(local.loose_standby_statements) == 0
    error_message = "Standby must be scoped to named Auto Scaling groups (arn:aws:autoscaling:<region>:<account>:autoScalingGroup:*:autoScalingGroupName/<name>); too loose: ${join(", ", local.loose_standby_statements)}."
  }
}

output "managed_policies_allowed" {
  description = "Only allow-listed AWS managed policies are attached."
  value       = length(var.managed_policy_arns)

  precondition {
    condition     = length(local.disallowed_managed_policies) == 0
    error_message = "These managed policies are not allowed: ${join(", ", local.disallowed_managed_policies)}."
  }
}

output "oidc_trust_limited" {
  description = "Every GitHub OIDC trust statement is for sts.amazonaws.com and subjects of this repository only, without wildcards."
  value       = length(local.trust_statements)

  precondition {
    condition     = length(local.loose_trust_statements) == 0
    error_message = "GitHub OIDC trust must be limited to ${coalesce(var.github_repository, "(no repository given)")} (aud sts.amazonaws.com, sub repo:<owner>/<name>:… without wildcards, only sts:AssumeRoleWithWebIdentity); too loose: ${join(", ", local.loose_trust_statements)}."
  }
}

output "ssm_parameters_constrained" {
  description = "Every SSM document parameter has an anchored allowedPattern that refuses shell syntax."
  value       = length(local.document_parameters)

  precondition {
    condition     = length(local.unconstrained_parameters) == 0
    error_message = "Every SSM document parameter needs an allowedPattern, anchored with ^ and $, that refuses ; $( ` quotes spaces | & and newlines; missing or too loose: ${join(", ", local.unconstrained_parameters)}."
  }
}

output "ecr_tags_immutable" {
  description = "Every ECR repository has immutable tags."
  value       = length(var.ecr_repositories)

  precondition {
    condition     = length(local.mutable_repositories) == 0
    error_message = "ECR tags must be immutable (image_tag_mutability = \"IMMUTABLE\"); mutable: ${join(", ", local.mutable_repositories)}."
  }
}

output "state_bucket_private" {
  description = "Every state bucket blocks public access, disables ACLs, allows no anonymous principal and refuses plain HTTP."
  value       = length(var.state_buckets)

  precondition {
    condition     = length(local.public_state_buckets) == 0
    error_message = "State buckets must be private (all four public access blocks, BucketOwnerEnforced, no Principal \"*\" allowed, a Deny on aws:SecureTransport = false); not private: ${join(", ", local.public_state_buckets)}."
  }
}
