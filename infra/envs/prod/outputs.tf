output "api_load_balancer_dns_name" {
  description = "Point the API's hostname at this."
  value       = module.environment.api_load_balancer_dns_name
}

output "deploy_role_arn" {
  description = "AWS_DEPLOY_ROLE_ARN of this GitHub environment."
  value       = module.environment.deploy_role_arn
}

output "repository_urls" {
  description = "ECR repository URL by service."
  value       = module.environment.repository_urls
}

output "secret_parameter_names" {
  description = "SecureString parameters to fill before the hosts start the stack."
  value       = module.environment.secret_parameter_names
}

output "host_groups" {
  description = "Auto Scaling group, AMI, size and subnets by host group."
  value       = module.environment.host_groups
}

output "policy_checked" {
  description = "How many objects each security property was checked against."
  value       = module.environment.policy_checked
}
