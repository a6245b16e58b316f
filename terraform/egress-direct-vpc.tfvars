# Direct VPC egress to a MongoDB inside a VPC (or behind a private endpoint): layer it on your tfvars,
#   terraform plan -var-file=terraform.tfvars -var-file=egress-direct-vpc.tfvars
# make deploy-check plans it on example.tfvars. See README.md, "A MongoDB inside a VPC".
egress             = "direct-vpc"
vpc_network        = "ledger-vpc"
vpc_subnetwork     = "ledger-functions" # a /26 or larger in var.region
vpc_egress_traffic = "private-ranges-only"
