output "repository_urls" {
  description = "Repository URL by service."
  value       = { for service, repository in aws_ecr_repository.this : service => repository.repository_url }
}

output "repository_arns" {
  description = "Repository ARN by service (for the deploy role's push permissions)."
  value       = { for service, repository in aws_ecr_repository.this : service => repository.arn }
}

output "registry" {
  description = "The registry host (<account>.dkr.ecr.<region>.amazonaws.com) the hosts log in to."
  value       = split("/", values(aws_ecr_repository.this)[0].repository_url)[0]
}

output "repositories" {
  description = "Each repository's settings, for the policy checks."
  value = {
    for repository in aws_ecr_repository.this : repository.name => {
      image_tag_mutability = repository.image_tag_mutability
      scan_on_push         = repository.image_scanning_configuration[0].scan_on_push
    }
  }
}
