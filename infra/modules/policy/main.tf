# Security properties every root of this repository must hold, checked on plain data so the same
# rules run against the real configuration (each root feeds this module what it creates) and
# against violating fixtures in tests/ (so no rule can pass vacuously). Each property is an
# output with a precondition: a violation stops plan and apply, naming the offending object.
# No resources, no providers.

locals {
  # --- no port 22 -------------------------------------------------------------------------
  ssh_open_rules = [
    for rule in var.ingress_rules : rule.name
    if contains(["-1", "all"], lower(rule.ip_protocol)) || (
      contains(["tcp", "6"], lower(rule.ip_protocol)) &&
      coalesce(rule.from_port, 0) <= 22 && coalesce(rule.to_port, 65535) >= 22
    )
  ]
  templates_with_key_pair = [for name, template in var.launch_templates : name if template.key_name != null]

  # --- IMDSv2, EBS encryption --------------------------------------------------------------
  templates_without_imdsv2 = [
    for name, template in var.launch_templates : name
    if template.http_tokens != "required" && template.http_endpoint != "disabled"
  ]
  unencrypted_devices = flatten([
    for name, template in var.launch_templates : [
      for device in template.block_devices : "${name}:${device.device_name}" if !device.encrypted
    ]
  ])
  templates_without_devices = [for name, template in var.launch_templates : name if length(template.block_devices) == 0]

  # --- IAM identity policies --------------------------------------------------------------
  # A Statement may be one object or a list of them; Action and Resource a string or a list.
  iam_statements = flatten([
    for name, document in var.iam_policies : [
      for index, statement in flatten([jsondecode(document).Statement]) : {
        where        = "${name} statement ${try(statement.Sid, index)}"
        allow        = try(statement.Effect, "") == "Allow"
        actions      = flatten([try(statement.Action, [])])
        resources    = flatten([try(statement.Resource, [])])
        not_action   = can(statement.NotAction)
        not_resource = can(statement.NotResource)
      }
    ]
  ])
  # "*", "*:*" and "service:*" all grant every action of something.
  wildcard_action_statements = [
    for statement in local.iam_statements : statement.where
    if statement.allow && (statement.not_action || anytrue([
      for action in statement.actions : action == "*" || can(regex(":\\*$", action))
    ]))
  ]
  # Read-only verbs; anything else is a write (Put, Create, Send, Cancel, Update, Delete…).
  read_action_pattern = "^[A-Za-z0-9-]+:(Describe|Get|List|BatchGet|Search|Lookup|View)[A-Za-z0-9*]*$"
  write_on_any_resource = flatten([
    for statement in local.iam_statements : [
      for action in statement.actions : "${statement.where}: ${action}"
      if !can(regex(local.read_action_pattern, action))
    ]
    if statement.allow && (contains(statement.resources, "*") || statement.not_resource)
  ])
  # Standby takes a host out of the load balancer: only in named groups, never every group.
  standby_statements = [
    for statement in local.iam_statements : statement
    if statement.allow && anytrue([for action in statement.actions : can(regex("^autoscaling:(EnterStandby|ExitStandby|[A-Za-z]*\\*[A-Za-z*]*)$", action))])
  ]
  standby_group_arn_pattern = "^arn:aws[a-z-]*:autoscaling:[a-z0-9-]+:[0-9]{12}:autoScalingGroup:\\*:autoScalingGroupName/[A-Za-z0-9._-]+$"
  loose_standby_statements = [
    for statement in local.standby_statements : statement.where
    if statement.not_resource || length(statement.resources) == 0 || !alltrue([for resource in statement.resources : can(regex(local.standby_group_arn_pattern, resource))])
  ]
  disallowed_managed_policies = [
    for arn in var.managed_policy_arns : arn if !contains(var.allowed_managed_policy_arns, arn)
  ]

  # --- GitHub OIDC trust ------------------------------------------------------------------
  github_provider = "token.actions.githubusercontent.com"
  trust_statements = flatten([
    for role, document in var.github_trust_policies : [
      for index, statement in flatten([jsondecode(document).Statement]) : {
        where     = "${role} statement ${try(statement.Sid, index)}"
        allow     = try(statement.Effect, "") == "Allow"
        actions   = flatten([try(statement.Action, [])])
        federated = flatten([try(statement.Principal.Federated, [])])
        # Anything but a federated principal (AWS "*", a service, an account) is out of place here.
        other_principals = try(statement.Principal == "*", false) || length(setsubtract(keys(try(statement.Principal, {})), ["Federated"])) > 0
        audiences = flatten([
          try(statement.Condition.StringEquals["${local.github_provider}:aud"], []),
        ])
        subjects = flatten([
          try(statement.Condition.StringEquals["${local.github_provider}:sub"], []),
          try(statement.Condition.StringLike["${local.github_provider}:sub"], []),
        ])
      }
    ]
  ])
  repository_subject = var.github_repository == null ? "(no repository given)" : "^repo:${replace(var.github_repository, ".", "\\.")}:[^*?]+$"
  loose_trust_statements = [
    for statement in local.trust_statements : statement.where
    if statement.allow && (
      statement.other_principals ||
      !alltrue([for federated in statement.federated : endswith(federated, "oidc-provider/${local.github_provider}")]) ||
      length(statement.federated) == 0 ||
      statement.actions != ["sts:AssumeRoleWithWebIdentity"] ||
      statement.audiences != ["sts.amazonaws.com"] ||
      length(statement.subjects) == 0 ||
      !alltrue([for subject in statement.subjects : can(regex(local.repository_subject, subject))])
    )
  ]

  # --- SSM documents ----------------------------------------------------------------------
  # Parameters are substituted into the script text, so each must have an anchored pattern that
  # refuses shell syntax. RE2 here; SSM checks with its own engine, and these probes hold for both.
  hostile_values = ["a;reboot", "$(id)", "`id`", "a b", "a'b", "a\"b", "a|b", "a&b", "a\nb", "../etc", ""]
  document_parameters = flatten([
    for name, content in var.ssm_documents : [
      for parameter, spec in try(jsondecode(content).parameters, {}) : {
        where   = "${name}.${parameter}"
        pattern = try(spec.allowedPattern, null)
      }
    ]
  ])
  unconstrained_parameters = [
    for parameter in local.document_parameters : parameter.where
    if parameter.pattern == null ? true : (
      !startswith(parameter.pattern, "^") || !endswith(parameter.pattern, "$") ||
      anytrue([for value in local.hostile_values : can(regex(parameter.pattern, value))])
    )
  ]

  # --- ECR --------------------------------------------------------------------------------
  mutable_repositories = [
    for name, repository in var.ecr_repositories : name if repository.image_tag_mutability != "IMMUTABLE"
  ]

  # --- state bucket -----------------------------------------------------------------------
  public_state_buckets = [
    for name, bucket in var.state_buckets : name
    if !(bucket.block_public_acls && bucket.block_public_policy && bucket.ignore_public_acls && bucket.restrict_public_buckets) ||
    bucket.object_ownership != "BucketOwnerEnforced" ||
    anytrue([
      for statement in flatten([jsondecode(bucket.policy).Statement]) :
      try(statement.Effect, "") == "Allow" && (try(statement.Principal == "*", false) || contains(flatten([try(statement.Principal.AWS, [])]), "*"))
    ]) ||
    !anytrue([
      for statement in flatten([jsondecode(bucket.policy).Statement]) :
      try(statement.Effect, "") == "Deny" && flatten([try(statement.Condition.Bool["aws:SecureTransport"], [])]) == ["false"]
    ])
  ]
}
