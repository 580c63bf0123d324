mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  project  = "chatops"
  services = ["api", "bot"]
}

run "one_immutable_scanned_repository_per_service" {
  command = apply

  assert {
    condition     = toset([for r in aws_ecr_repository.this : r.name]) == toset(["chatops-api", "chatops-bot"])
    error_message = "repositories must be named <project>-<service>"
  }
  assert {
    condition     = alltrue([for r in aws_ecr_repository.this : r.image_tag_mutability == "IMMUTABLE" && r.image_scanning_configuration[0].scan_on_push])
    error_message = "every repository must have immutable tags and scan on push"
  }
  assert {
    condition     = alltrue([for r in aws_ecr_repository.this : !r.force_delete])
    error_message = "a repository holding images must not be deletable by terraform destroy"
  }
  assert {
    condition     = output.registry == "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
    error_message = "the registry host is the repository URL's host"
  }
}

run "the_lifecycle_policy_expires_untagged_images_and_keeps_the_newest_tagged" {
  command = apply

  assert {
    condition     = length(aws_ecr_lifecycle_policy.this) == 2
    error_message = "each repository needs a lifecycle policy"
  }
  assert {
    condition = [for rule in jsondecode(aws_ecr_lifecycle_policy.this["api"].policy).rules : [rule.selection.tagStatus, rule.selection.countType, rule.selection.countNumber]] == [
      ["untagged", "sinceImagePushed", 7],
      ["any", "imageCountMoreThan", 50],
    ]
    error_message = "expected: untagged after 7 days, then keep 50 images"
  }
}

run "refuses_a_keep_count_too_small_to_roll_back" {
  command = plan
  variables {
    keep_tagged_images = 2
  }
  expect_failures = [var.keep_tagged_images]
}

run "refuses_an_invalid_service_name" {
  command = plan
  variables {
    services = ["api", "Bot;rm"]
  }
  expect_failures = [var.services]
}
