output "state_bucket" {
  description = "The state bucket: the envs' backend \"s3\" bucket."
  value       = aws_s3_bucket.state.id
}

output "state_kms_key_arn" {
  description = "The KMS key encrypting state objects."
  value       = aws_kms_key.state.arn
}

output "backend_config" {
  description = "What to pass to terraform init -backend-config in infra/envs/<env>."
  value       = "bucket=${aws_s3_bucket.state.id} region=${var.region}"
}

output "policy_checked" {
  description = "How many state buckets the policy checks saw (1)."
  value       = module.policy.state_bucket_private
}
