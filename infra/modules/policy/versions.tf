terraform {
  # Output preconditions and cross-object references in error messages.
  required_version = ">= 1.9.0"
}
