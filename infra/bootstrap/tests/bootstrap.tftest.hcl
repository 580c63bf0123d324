mock_provider "aws" {
  source = "../tests/mocks"
}

run "the_state_bucket_is_private_versioned_encrypted_and_tls_only" {
  command = apply

  assert {
    condition     = aws_s3_bucket.state.bucket == "chatops-tfstate-111122223333" && !aws_s3_bucket.state.force_destroy
    error_message = "the bucket is <project>-tfstate-<account> and a destroy never empties it"
  }
  assert {
    condition     = aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    error_message = "state must be versioned, so a bad apply can be undone"
  }
  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.state.block_public_acls,
      aws_s3_bucket_public_access_block.state.block_public_policy,
      aws_s3_bucket_public_access_block.state.ignore_public_acls,
      aws_s3_bucket_public_access_block.state.restrict_public_buckets,
    ])
    error_message = "all four public access blocks must be on"
  }
  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.state.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms" && aws_kms_key.state.enable_key_rotation
    error_message = "state must be encrypted with a rotating KMS key"
  }
  assert {
    condition     = jsondecode(aws_s3_bucket_policy.state.policy).Statement[0].Condition.Bool["aws:SecureTransport"] == "false" && jsondecode(aws_s3_bucket_policy.state.policy).Statement[0].Effect == "Deny"
    error_message = "plain HTTP must be denied"
  }
  assert {
    condition     = output.policy_checked == 1
    error_message = "the state bucket must go through the policy checks"
  }
}

run "refuses_a_short_version_history" {
  command = plan
  variables {
    noncurrent_version_days = 7
  }
  expect_failures = [var.noncurrent_version_days]
}
