output "document_name" {
  description = "The redeploy Command document's name (the catalog's fleet.document default)."
  value       = aws_ssm_document.redeploy.name
}

output "document_arn" {
  description = "The redeploy Command document's ARN (for SendCommand permissions)."
  value       = aws_ssm_document.redeploy.arn
}

output "documents" {
  description = "Every document's content by name, for the policy checks."
  value       = { (aws_ssm_document.redeploy.name) = aws_ssm_document.redeploy.content }
}

output "image_parameter_arns" {
  description = "Desired-version parameter ARN by service."
  value       = { for service, parameter in aws_ssm_parameter.image : service => parameter.arn }
}

output "image_parameter_names" {
  description = "Desired-version parameter name by service."
  value       = { for service, parameter in aws_ssm_parameter.image : service => parameter.name }
}

output "parameter_path" {
  description = "The environment's parameter path (/<project>/<environment>); hosts may read below it only."
  value       = local.prefix
}

output "secret_parameter_names" {
  description = "SecureString parameter name by secret."
  value       = { for name, parameter in aws_ssm_parameter.secret : name => parameter.name }
}

output "secrets_kms_key_arn" {
  description = "The KMS key encrypting the secrets (hosts may decrypt through SSM only)."
  value       = aws_kms_key.secrets.arn
}

output "setting_parameter_names" {
  description = "String parameter name by setting."
  value       = { for name, parameter in aws_ssm_parameter.setting : name => parameter.name }
}
