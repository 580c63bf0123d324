mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name                  = "chatops-prod-app"
  project               = "chatops"
  environment           = "prod"
  vpc_id                = "vpc-0123456789abcdef0"
  subnet_ids            = ["subnet-0a", "subnet-0b"]
  instance_count        = 2
  instance_profile_name = "chatops-prod-docker-host"
  registry              = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
  load_balancer = {
    subnet_ids      = ["subnet-1a", "subnet-1b"]
    certificate_arn = "arn:aws:acm:eu-west-1:111122223333:certificate/abc"
  }
}

run "hosts_require_imdsv2_encrypt_their_volume_and_have_no_ssh" {
  command = apply

  assert {
    condition     = aws_launch_template.host.metadata_options[0].http_tokens == "required" && aws_launch_template.host.metadata_options[0].http_put_response_hop_limit == 1
    error_message = "IMDSv2 must be required, and containers kept away from it by default"
  }
  assert {
    condition     = alltrue([for d in aws_launch_template.host.block_device_mappings : d.ebs[0].encrypted == "true" && d.ebs[0].volume_type == "gp3"])
    error_message = "the root volume must be encrypted gp3"
  }
  assert {
    condition     = aws_launch_template.host.key_name == null
    error_message = "no key pair: access is by SSM Session Manager"
  }
  assert {
    condition     = [for r in aws_vpc_security_group_ingress_rule.host_from_alb : [r.from_port, r.to_port, r.referenced_security_group_id]] == [[3000, 3000, aws_security_group.alb[0].id]]
    error_message = "the hosts accept the API port from the load balancer and nothing else"
  }
  assert {
    condition     = aws_launch_template.host.iam_instance_profile[0].name == "chatops-prod-docker-host"
    error_message = "the hosts need the instance profile (SSM agent, ECR pull)"
  }
}

run "the_auto_scaling_group_keeps_instance_count_hosts_across_the_zones" {
  command = apply

  assert {
    condition     = aws_autoscaling_group.hosts.desired_capacity == 2 && aws_autoscaling_group.hosts.max_size == 4
    error_message = "instance_count hosts"
  }
  assert {
    condition     = aws_autoscaling_group.hosts.min_size == 1
    error_message = "behind the ALB the minimum is one below the count, so a redeploy can put one host on standby (decrementing the desired capacity) without the group launching a replacement"
  }
  assert {
    condition     = toset(aws_autoscaling_group.hosts.vpc_zone_identifier) == toset(["subnet-0a", "subnet-0b"])
    error_message = "hosts must be spread over both zones' subnets"
  }
  assert {
    condition     = aws_autoscaling_group.hosts.health_check_type == "ELB" && length(aws_autoscaling_group.hosts.target_group_arns) == 1
    error_message = "behind the ALB, the group replaces hosts the ALB finds unhealthy"
  }
  assert {
    condition     = { for t in aws_launch_template.host.tag_specifications : t.resource_type => t.tags if t.resource_type == "instance" }["instance"]["Role"] == "docker-host"
    error_message = "instances must carry Role=docker-host: the API and the deploy workflow target them by it"
  }
}

run "the_load_balancer_serves_https_and_checks_readiness" {
  command = apply

  assert {
    condition     = aws_lb_listener.https[0].protocol == "HTTPS" && startswith(aws_lb_listener.https[0].ssl_policy, "ELBSecurityPolicy-TLS13")
    error_message = "HTTPS with a TLS 1.3 policy"
  }
  assert {
    condition     = aws_lb_listener.http_redirect[0].default_action[0].redirect[0].protocol == "HTTPS"
    error_message = "plain HTTP only redirects"
  }
  assert {
    condition     = aws_lb_target_group.api[0].health_check[0].path == "/health/ready" && aws_lb.api[0].drop_invalid_header_fields
    error_message = "the ALB checks /health/ready and drops invalid headers"
  }
}

run "user_data_configures_the_host_without_secrets" {
  command = apply
  variables {
    compose_profiles             = ["control"]
    containers_use_instance_role = true
  }

  assert {
    condition     = strcontains(base64decode(aws_launch_template.host.user_data), "CHATOPS_PROJECT=chatops\nCHATOPS_ENVIRONMENT=prod\nCHATOPS_HOST_GROUP=app\nCHATOPS_REGISTRY=111122223333.dkr.ecr.eu-west-1.amazonaws.com\nAWS_REGION=eu-west-1\nCOMPOSE_PROFILES=control\n")
    error_message = "user data must write host.env for redeploy.sh and the units"
  }
  assert {
    condition     = strcontains(base64decode(aws_launch_template.host.user_data), "\nCHATOPS_AUTO_SCALING_GROUP=chatops-prod-app\nCHATOPS_TARGET_GROUP_ARN=${aws_lb_target_group.api[0].arn}\nCHATOPS_LOAD_BALANCED_SERVICES=api\nHOSTENV\n")
    error_message = "behind the ALB, host.env names the group and target group redeploy.sh takes the host out of while the API restarts"
  }
  assert {
    condition     = !can(regex("(?i)(token|password|secret)=", base64decode(aws_launch_template.host.user_data)))
    error_message = "no secret may be in user data"
  }
  assert {
    condition     = aws_launch_template.host.metadata_options[0].http_put_response_hop_limit == 2
    error_message = "containers_use_instance_role raises the hop limit to 2"
  }
}

run "without_a_load_balancer_nothing_is_reachable_from_outside" {
  command = apply
  variables {
    load_balancer = null
  }

  assert {
    condition     = length(aws_lb.api) == 0 && length(aws_vpc_security_group_ingress_rule.host_from_alb) == 0 && length(output.ingress_rules) == 0
    error_message = "no ALB, no ingress at all"
  }
  assert {
    condition     = aws_autoscaling_group.hosts.health_check_type == "EC2"
    error_message = "without an ALB the group checks EC2 status"
  }
  assert {
    condition     = aws_autoscaling_group.hosts.min_size == 2 && !strcontains(base64decode(aws_launch_template.host.user_data), "CHATOPS_TARGET_GROUP_ARN")
    error_message = "without an ALB the hosts roll in place: the minimum is the count and host.env names no target group"
  }
}

run "the_ami_is_looked_up_by_name_tags_and_owner" {
  command = plan

  assert {
    condition     = tolist(data.aws_ami.docker_host[0].owners) == tolist(["self"])
    error_message = "only our own AMIs"
  }
  assert {
    condition = { for f in data.aws_ami.docker_host[0].filter : f.name => join(",", f.values) } == {
      "name" = "chatops-docker-host-*", "tag:Project" = "chatops", "tag:Role" = "docker-host", "state" = "available"
    }
    error_message = "the AMI must be found by the name and tags packer gives it"
  }
}

run "refuses_a_load_balancer_without_a_certificate" {
  command = plan
  variables {
    load_balancer = { subnet_ids = ["subnet-1a", "subnet-1b"], certificate_arn = "" }
  }
  expect_failures = [var.load_balancer]
}

run "refuses_ami_owner_aliases" {
  command = plan
  variables {
    ami_owners = ["amazon"]
  }
  expect_failures = [var.ami_owners]
}

run "refuses_zero_hosts" {
  command = plan
  variables {
    instance_count = 0
  }
  expect_failures = [var.instance_count]
}
