mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  project               = "chatops"
  environment           = "prod"
  region                = "eu-west-1"
  account_id            = "111122223333"
  parameter_path        = "/chatops/prod"
  github_repository     = "acme/chatops"
  secrets_kms_key_arn   = "arn:aws:kms:eu-west-1:111122223333:key/1"
  redeploy_document_arn = "arn:aws:ssm:eu-west-1:111122223333:document/chatops-redeploy"
  image_parameter_arns = {
    api = "arn:aws:ssm:eu-west-1:111122223333:parameter/chatops/prod/api/image"
    bot = "arn:aws:ssm:eu-west-1:111122223333:parameter/chatops/prod/bot/image"
  }
  ecr_repository_arns = {
    api = "arn:aws:ecr:eu-west-1:111122223333:repository/chatops-api"
    bot = "arn:aws:ecr:eu-west-1:111122223333:repository/chatops-bot"
  }
}

run "hosts_read_their_own_parameters_and_pull_images_only" {
  command = apply

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.host.policy).Statement : s.Sid] == [
      "ReadOwnParameters", "DecryptOwnSecretsThroughSsm", "EcrLogin", "EcrPull",
    ]
    error_message = "without control_plane the host role reads parameters, decrypts its secrets and pulls images, nothing else"
  }
  assert {
    condition = jsondecode(aws_iam_role_policy.host.policy).Statement[0].Resource == [
      "arn:aws:ssm:eu-west-1:111122223333:parameter/chatops/prod",
      "arn:aws:ssm:eu-west-1:111122223333:parameter/chatops/prod/*",
    ]
    error_message = "hosts may read /chatops/prod and below, not other environments' parameters"
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.host.policy).Statement[1].Condition.StringEquals["kms:ViaService"] == "ssm.eu-west-1.amazonaws.com"
    error_message = "the secrets key may only be used through SSM"
  }
  assert {
    condition     = aws_iam_role_policy_attachment.host_ssm_core.policy_arn == "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    error_message = "hosts need SSM's core policy for Run Command and Session Manager"
  }
  assert {
    condition     = jsondecode(aws_iam_role.host.assume_role_policy).Statement[0].Principal.Service == "ec2.amazonaws.com"
    error_message = "only EC2 may assume the host role"
  }
}

run "control_plane_hosts_may_command_their_own_fleet" {
  command = apply
  variables {
    control_plane = true
  }

  assert {
    condition     = toset(flatten([for s in jsondecode(aws_iam_role_policy.host.policy).Statement : s.Action])) == toset(["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "kms:Decrypt", "ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability", "ec2:DescribeInstances", "ssm:DescribeInstanceInformation", "ssm:ListCommandInvocations", "ssm:GetCommandInvocation", "ssm:ListCommands", "ssm:PutParameter", "ssm:GetParameterHistory", "ecr:DescribeImages", "ssm:SendCommand", "ssm:DescribeDocument", "ssm:CancelCommand", "autoscaling:DescribeAutoScalingInstances", "autoscaling:DescribeAutoScalingGroups", "elasticloadbalancing:DescribeTargetHealth"])
    error_message = "the control plane gets exactly the calls libs/api/aws-fleet makes"
  }
  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.host.policy).Statement : s.Resource if s.Sid == "DescribeRedeployDocument"] == [[var.redeploy_document_arn]]
    error_message = "npm run doctor may describe the redeploy document only"
  }
  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.host.policy).Statement : toset(s.Resource) if s.Sid == "CheckImages"] == [toset(values(var.ecr_repository_arns))]
    error_message = "the control plane looks up images in this project's repositories only"
  }
  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.host.policy).Statement : s.Condition.StringEquals if s.Sid == "CommandOwnHosts"] == [{ "aws:ResourceTag/Project" = "chatops", "aws:ResourceTag/Environment" = "prod", "aws:ResourceTag/Role" = "docker-host" }]
    error_message = "commands may only target this environment's Docker hosts"
  }
}

run "hosts_behind_the_load_balancer_may_put_themselves_on_standby_in_their_group_only" {
  command = apply
  variables {
    load_balanced_groups = ["chatops-prod-app"]
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.host.policy).Statement : s.Sid] == ["ReadOwnParameters", "DecryptOwnSecretsThroughSsm", "EcrLogin", "EcrPull", "StandbyWhileRedeploying", "ReadOwnServiceState"]
    error_message = "a load-balanced group adds standby and the reads redeploy.sh makes, nothing else"
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.host.policy).Statement : [s.Action, s.Resource] if s.Sid == "StandbyWhileRedeploying"] == [[
      ["autoscaling:EnterStandby", "autoscaling:ExitStandby"],
      ["arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:*:autoScalingGroupName/chatops-prod-app"],
    ]]
    error_message = "standby only in the load-balanced group of this environment"
  }
  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.host.policy).Statement : s.Action if s.Sid == "ReadOwnServiceState"] == [["autoscaling:DescribeAutoScalingInstances", "autoscaling:DescribeAutoScalingGroups", "elasticloadbalancing:DescribeTargetHealth"]]
    error_message = "the reads redeploy.sh makes while it waits (no resource-level permissions exist for them)"
  }
}

run "refuses_a_wildcard_load_balanced_group" {
  command = plan
  variables {
    load_balanced_groups = ["*"]
  }
  expect_failures = [var.load_balanced_groups]
}

run "the_deploy_role_trusts_this_repository_and_environment_only" {
  command = apply

  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == "repo:acme/chatops:environment:prod"
    error_message = "only acme/chatops jobs in the prod GitHub environment may assume the deploy role"
  }
  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Principal.Federated == aws_iam_openid_connect_provider.github[0].arn
    error_message = "the trust must name the GitHub OIDC provider"
  }
  assert {
    condition     = aws_iam_openid_connect_provider.github[0].url == "https://token.actions.githubusercontent.com" && aws_iam_openid_connect_provider.github[0].client_id_list == toset(["sts.amazonaws.com"])
    error_message = "the provider is GitHub's, for STS"
  }
  assert {
    condition = toset(flatten([for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s.Action])) == toset([
      "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
      "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart",
      "ssm:GetParameter", "ssm:GetParameterHistory", "ssm:PutParameter", "ssm:SendCommand", "ssm:ListCommandInvocations", "ssm:GetCommandInvocation",
      "ec2:DescribeInstances", "ssm:DescribeInstanceInformation",
    ])
    error_message = "the deploy role gets only what the deploy workflow does"
  }
}

run "an_existing_oidc_provider_can_be_used" {
  command = apply
  variables {
    create_github_oidc_provider = false
    github_oidc_provider_arn    = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
    github_environment          = "production"
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0
    error_message = "no second provider when one exists"
  }
  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == "repo:acme/chatops:environment:production"
    error_message = "the GitHub environment name can differ from ours"
  }
}

run "refuses_a_wildcard_repository" {
  command = plan
  variables {
    github_repository = "acme/*"
  }
  expect_failures = [var.github_repository]
}
