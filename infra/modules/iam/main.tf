locals {
  name              = "${var.project}-${var.environment}"
  github_oidc_host  = "token.actions.githubusercontent.com"
  github_env        = coalesce(var.github_environment, var.environment)
  oidc_provider_arn = var.create_github_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : var.github_oidc_provider_arn
  parameter_arn     = "arn:aws:ssm:${var.region}:${var.account_id}:parameter${var.parameter_path}"
  # SendCommand is authorised per target instance: only this environment's Docker hosts.
  own_hosts = {
    StringEquals = {
      "aws:ResourceTag/Project"     = var.project
      "aws:ResourceTag/Environment" = var.environment
      "aws:ResourceTag/Role"        = "docker-host"
    }
  }
  ssm_core = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"

  # Statements the host role and the deploy role share.
  ecr_login = {
    # Registry login has no resource-level permission; it is a read.
    Sid      = "EcrLogin"
    Effect   = "Allow"
    Action   = ["ecr:GetAuthorizationToken"]
    Resource = ["*"]
  }
  send_redeploy_document = {
    Sid      = "SendRedeployDocument"
    Effect   = "Allow"
    Action   = ["ssm:SendCommand"]
    Resource = [var.redeploy_document_arn]
  }
  # `npm run doctor` checks the document exists, with the control plane's own credentials.
  describe_redeploy_document = {
    Sid      = "DescribeRedeployDocument"
    Effect   = "Allow"
    Action   = ["ssm:DescribeDocument"]
    Resource = [var.redeploy_document_arn]
  }
  # The hosts, their SSM agents and command invocations: reads without resource-level permissions.
  read_fleet = {
    Sid      = "ReadFleet"
    Effect   = "Allow"
    Action   = ["ec2:DescribeInstances", "ssm:DescribeInstanceInformation", "ssm:ListCommandInvocations", "ssm:GetCommandInvocation"]
    Resource = ["*"]
  }
  # Completed with the actions each role needs.
  command_own_hosts = {
    Sid       = "CommandOwnHosts"
    Effect    = "Allow"
    Resource  = ["arn:aws:ec2:${var.region}:${var.account_id}:instance/*"]
    Condition = local.own_hosts
  }

  host_statements = [
    {
      Sid      = "ReadOwnParameters"
      Effect   = "Allow"
      Action   = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"]
      Resource = [local.parameter_arn, "${local.parameter_arn}/*"]
    },
    {
      Sid       = "DecryptOwnSecretsThroughSsm"
      Effect    = "Allow"
      Action    = ["kms:Decrypt"]
      Resource  = [var.secrets_kms_key_arn]
      Condition = { StringEquals = { "kms:ViaService" = "ssm.${var.region}.amazonaws.com" } }
    },
    local.ecr_login,
    {
      Sid      = "EcrPull"
      Effect   = "Allow"
      Action   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
      Resource = values(var.ecr_repository_arns)
    },
  ]

  # deploy/host/bin/redeploy.sh behind the load balancer: standby in its own group while the API
  # restarts (the group ARN's id is unknown before the group exists: matched by name), and reading
  # its lifecycle, the group's hosts on standby and target state (those reads have no
  # resource-level permissions).
  standby_statements = length(var.load_balanced_groups) == 0 ? [] : [
    {
      Sid      = "StandbyWhileRedeploying"
      Effect   = "Allow"
      Action   = ["autoscaling:EnterStandby", "autoscaling:ExitStandby"]
      Resource = [for name in var.load_balanced_groups : "arn:aws:autoscaling:${var.region}:${var.account_id}:autoScalingGroup:*:autoScalingGroupName/${name}"]
    },
    {
      Sid      = "ReadOwnServiceState"
      Effect   = "Allow"
      Action   = ["autoscaling:DescribeAutoScalingInstances", "autoscaling:DescribeAutoScalingGroups", "elasticloadbalancing:DescribeTargetHealth"]
      Resource = ["*"]
    },
  ]

  # What libs/api/aws-fleet calls, scoped to this environment.
  control_plane_statements = [
    local.read_fleet,
    # A restarted API finds a redeploy it sent but did not record by the marker in its comment
    # (ListCommands has no resource-level permissions).
    {
      Sid      = "FindSentCommands"
      Effect   = "Allow"
      Action   = ["ssm:ListCommands"]
      Resource = ["*"]
    },
    {
      Sid      = "DesiredVersions"
      Effect   = "Allow"
      Action   = ["ssm:PutParameter", "ssm:GetParameterHistory"]
      Resource = values(var.image_parameter_arns)
    },
    # A redeploy or rollback checks ECR holds its image before any host is told to pull it.
    {
      Sid      = "CheckImages"
      Effect   = "Allow"
      Action   = ["ecr:DescribeImages"]
      Resource = values(var.ecr_repository_arns)
    },
    local.send_redeploy_document,
    local.describe_redeploy_document,
    merge(local.command_own_hosts, { Action = ["ssm:SendCommand", "ssm:CancelCommand"] }),
    # /status shows each host's lifecycle in its group and health in the target group (reads
    # without resource-level permissions).
    {
      Sid      = "ReadLoadBalancing"
      Effect   = "Allow"
      Action   = ["autoscaling:DescribeAutoScalingInstances", "autoscaling:DescribeAutoScalingGroups", "elasticloadbalancing:DescribeTargetHealth"]
      Resource = ["*"]
    },
  ]

  host_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat(local.host_statements, local.standby_statements, [for statement in local.control_plane_statements : statement if var.control_plane])
  })

  # What .github/workflows/deploy.yml does (tools/rollout): push the image, set the desired
  # version, send the redeploy command to this environment's hosts and follow it.
  deploy_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      local.ecr_login,
      {
        Sid    = "EcrPush"
        Effect = "Allow"
        Action = [
          "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
          "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer", "ecr:InitiateLayerUpload",
          "ecr:PutImage", "ecr:UploadLayerPart",
        ]
        Resource = values(var.ecr_repository_arns)
      },
      {
        Sid    = "DesiredVersions"
        Effect = "Allow"
        # History: a failed rollout sets the desired version back to the one it replaced.
        Action   = ["ssm:GetParameter", "ssm:GetParameterHistory", "ssm:PutParameter"]
        Resource = values(var.image_parameter_arns)
      },
      local.send_redeploy_document,
      merge(local.command_own_hosts, { Action = ["ssm:SendCommand"] }),
      # tools/rollout checks the hosts are reachable before sending, then follows the command.
      local.read_fleet,
    ]
  })

  deploy_trust_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "GitHubDeployWorkflow"
      Effect    = "Allow"
      Principal = { Federated = local.oidc_provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${local.github_oidc_host}:aud" = "sts.amazonaws.com"
          # Only jobs of this repository running in this GitHub environment (its protection rules
          # and required reviewers apply), never a fork, another branch's free-form job or another repo.
          "${local.github_oidc_host}:sub" = "repo:${var.github_repository}:environment:${local.github_env}"
        }
      }
    }]
  })
}

resource "aws_iam_role" "host" {
  name                 = "${local.name}-docker-host"
  description          = "Docker hosts of ${local.name}: SSM agent, ECR pull, their own parameters"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "host_ssm_core" {
  role       = aws_iam_role.host.name
  policy_arn = local.ssm_core
}

resource "aws_iam_role_policy" "host" {
  name   = "docker-host"
  role   = aws_iam_role.host.id
  policy = local.host_policy
}

resource "aws_iam_instance_profile" "host" {
  name = "${local.name}-docker-host"
  role = aws_iam_role.host.name
  tags = var.tags
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_github_oidc_provider ? 1 : 0

  url            = "https://${local.github_oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
  # AWS validates GitHub's certificate against its own trust store; the thumbprints are kept for
  # older provider behaviour.
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]
  tags            = var.tags
}

resource "aws_iam_role" "deploy" {
  name                 = "${local.name}-github-deploy"
  description          = "GitHub Actions deploy workflow of ${var.github_repository} for ${var.environment}"
  assume_role_policy   = local.deploy_trust_policy
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "deploy" {
  name   = "deploy"
  role   = aws_iam_role.deploy.id
  policy = local.deploy_policy
}
