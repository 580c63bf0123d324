output "host_instance_profile_name" {
  description = "The Docker hosts' instance profile."
  value       = aws_iam_instance_profile.host.name
}

output "host_role_arn" {
  description = "The Docker hosts' role."
  value       = aws_iam_role.host.arn
}

output "deploy_role_arn" {
  description = "The role the deploy workflow assumes (aws-actions/configure-aws-credentials role-to-assume)."
  value       = aws_iam_role.deploy.arn
}

output "github_oidc_provider_arn" {
  description = "The GitHub OIDC provider the deploy role trusts."
  value       = local.oidc_provider_arn
}

output "iam_policies" {
  description = "Every identity policy this module writes (JSON), for the policy checks."
  value = {
    (aws_iam_role_policy.host.name)   = aws_iam_role_policy.host.policy
    (aws_iam_role_policy.deploy.name) = aws_iam_role_policy.deploy.policy
  }
}

output "managed_policy_arns" {
  description = "The AWS managed policies this module attaches."
  value       = [aws_iam_role_policy_attachment.host_ssm_core.policy_arn]
}

output "github_trust_policies" {
  description = "Trust policies of the roles GitHub assumes (JSON), for the policy checks."
  value       = { (aws_iam_role.deploy.name) = aws_iam_role.deploy.assume_role_policy }
}
