# Only hashicorp/google is used, so that `make tf-validate` can check this
# configuration offline (../shared/terraform-offline serves that provider's
# recorded schema). Do not add random, archive or google-beta.
terraform {
  # 1.9+ for input validations that refer to other variables.
  required_version = ">= 1.9"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 7.0, < 8.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
