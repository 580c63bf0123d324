# One environment: its network, image repositories, SSM document and parameters, IAM, the Docker
# host groups, and the policy checks over all of it. infra/envs/<env> call this with their sizes.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  name = "${var.project}-${var.environment}"
  # Each host group's Auto Scaling group (and launch template) name.
  group_names = { for key in keys(var.host_groups) : key => "${local.name}-${key}" }
  tags        = merge(var.tags, { Project = var.project, Environment = var.environment })
}

module "network" {
  source = "../network"

  name               = local.name
  cidr_block         = var.cidr_block
  availability_zones = var.availability_zones
  nat_gateways       = var.nat_gateways
  tags               = local.tags
}

module "ecr" {
  source = "../ecr"

  project  = var.project
  services = var.services
  tags     = local.tags
}

module "ssm" {
  source = "../ssm"

  project     = var.project
  environment = var.environment
  services    = var.services
  settings    = var.settings
  tags        = local.tags
}

module "iam" {
  source = "../iam"

  project                     = var.project
  environment                 = var.environment
  region                      = data.aws_region.current.name
  account_id                  = data.aws_caller_identity.current.account_id
  parameter_path              = module.ssm.parameter_path
  image_parameter_arns        = module.ssm.image_parameter_arns
  secrets_kms_key_arn         = module.ssm.secrets_kms_key_arn
  ecr_repository_arns         = module.ecr.repository_arns
  redeploy_document_arn       = module.ssm.document_arn
  load_balanced_groups        = [for key, group in var.host_groups : local.group_names[key] if group.load_balancer]
  control_plane               = true
  github_repository           = var.github_repository
  github_environment          = var.github_environment
  create_github_oidc_provider = var.create_github_oidc_provider
  github_oidc_provider_arn    = var.github_oidc_provider_arn
  tags                        = local.tags
}

module "hosts" {
  source   = "../docker-host"
  for_each = var.host_groups

  name                  = local.group_names[each.key]
  project               = var.project
  environment           = var.environment
  vpc_id                = module.network.vpc_id
  subnet_ids            = module.network.private_subnet_ids
  instance_count        = each.value.instance_count
  instance_type         = each.value.instance_type
  compose_profiles      = each.value.compose_profiles
  instance_profile_name = module.iam.host_instance_profile_name
  registry              = module.ecr.registry
  # Every host runs the API, which follows SSM commands and writes desired versions.
  containers_use_instance_role = true
  ami_id                       = var.ami_id
  ami_owners                   = var.ami_owners
  root_volume_size_gb          = var.root_volume_size_gb
  load_balancer = each.value.load_balancer ? {
    subnet_ids          = module.network.public_subnet_ids
    certificate_arn     = var.certificate_arn
    ingress_cidrs       = var.alb_ingress_cidrs
    deletion_protection = var.deletion_protection
  } : null
  tags = local.tags
}

module "policy" {
  source = "../policy"

  ingress_rules         = flatten([for group in module.hosts : group.ingress_rules])
  launch_templates      = merge([for group in module.hosts : group.launch_template]...)
  iam_policies          = merge(module.iam.iam_policies, module.network.iam_policies)
  managed_policy_arns   = module.iam.managed_policy_arns
  github_trust_policies = module.iam.github_trust_policies
  github_repository     = var.github_repository
  ssm_documents         = module.ssm.documents
  ecr_repositories      = module.ecr.repositories
}
