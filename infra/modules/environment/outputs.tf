output "api_load_balancer_dns_name" {
  description = "Point the API's hostname (the catalog's healthUrl, GitHub's webhook URL) at this."
  value       = one(compact([for group in module.hosts : group.load_balancer_dns_name]))
}

output "deploy_role_arn" {
  description = "The role deploy.yml assumes for this environment."
  value       = module.iam.deploy_role_arn
}

output "redeploy_document_name" {
  description = "The catalog's fleet.document (its default, <project>-redeploy)."
  value       = module.ssm.document_name
}

output "registry" {
  description = "The ECR registry host."
  value       = module.ecr.registry
}

output "repository_urls" {
  description = "ECR repository URL by service (the catalog's image)."
  value       = module.ecr.repository_urls
}

output "image_parameter_names" {
  description = "Desired-version parameter by service."
  value       = module.ssm.image_parameter_names
}

output "secret_parameter_names" {
  description = "The SecureString parameters to fill before the hosts can start the stack."
  value       = module.ssm.secret_parameter_names
}

output "host_groups" {
  description = "Auto Scaling group, AMI, size and subnets by host group."
  value = {
    for name, group in module.hosts : name => {
      autoscaling_group = group.autoscaling_group_name
      ami_id            = group.ami_id
      instance_count    = group.instance_count
      subnet_ids        = group.subnet_ids
    }
  }
}

output "policy_checked" {
  description = "How many objects each security property was checked against."
  value = {
    no_ssh                     = module.policy.no_ssh
    imdsv2_required            = module.policy.imdsv2_required
    ebs_encrypted              = module.policy.ebs_encrypted
    no_wildcard_actions        = module.policy.no_wildcard_actions
    no_write_on_any_resource   = module.policy.no_write_on_any_resource
    standby_scoped             = module.policy.standby_scoped
    managed_policies_allowed   = module.policy.managed_policies_allowed
    oidc_trust_limited         = module.policy.oidc_trust_limited
    ssm_parameters_constrained = module.policy.ssm_parameters_constrained
    ecr_tags_immutable         = module.policy.ecr_tags_immutable
  }
}
