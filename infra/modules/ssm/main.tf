locals {
  prefix = "/${var.project}/${var.environment}"
  # Before the first deploy. The hosts' boot convergence and the API's version history skip it.
  not_deployed = "none"
  unset_secret = "unset"
}

resource "aws_ssm_document" "redeploy" {
  name            = "${var.project}-redeploy"
  document_type   = "Command"
  document_format = "JSON"
  # The same file is read by the JavaScript tests, which compare its patterns with the API's and
  # redeploy.sh's.
  content = file("${path.module}/documents/redeploy.json")
  tags    = var.tags
}

# What each service should run: the API's /redeploy and /rollback and the deploy workflow write
# them, the hosts converge to them at boot. Terraform only creates them.
resource "aws_ssm_parameter" "image" {
  for_each = toset(var.services)

  name        = "${local.prefix}/${each.key}/image"
  description = "Desired image version of ${each.key} in ${var.environment} (written by deploys; history kept by Parameter Store)."
  type        = "String"
  value       = local.not_deployed
  tags        = merge(var.tags, { Service = each.key })

  lifecycle {
    # Deploys own the value: an apply must never roll a service back.
    ignore_changes = [value]
  }
}

resource "aws_kms_key" "secrets" {
  description             = "${var.project}-${var.environment}: SecureString parameters read by the Docker hosts"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  tags                    = var.tags
}

resource "aws_kms_alias" "secrets" {
  name          = "alias/${var.project}-${var.environment}-secrets"
  target_key_id = aws_kms_key.secrets.key_id
}

resource "aws_ssm_parameter" "secret" {
  for_each = toset(var.secrets)

  name        = "${local.prefix}/secrets/${each.key}"
  description = "${each.key} for ${var.environment}; set with: aws ssm put-parameter --overwrite --type SecureString --name ${local.prefix}/secrets/${each.key} --value file://…"
  type        = "SecureString"
  key_id      = aws_kms_key.secrets.arn
  value       = local.unset_secret
  tags        = var.tags

  lifecycle {
    # The real value is put out of band so it never reaches Terraform state or plans.
    ignore_changes = [value]
  }
}

resource "aws_ssm_parameter" "setting" {
  for_each = var.settings

  name        = "${local.prefix}/config/${each.key}"
  description = "${each.key} for ${var.environment} (not secret)"
  type        = "String"
  value       = each.value
  tags        = var.tags
}
