# MongoDB Atlas through its IP access list: Direct VPC egress for all traffic, and a Cloud NAT with a reserved
# static address. After apply, allow `terraform output -raw nat_ip` (as ADDRESS/32) in Atlas. See README.md,
# "MongoDB Atlas". make deploy-check plans it on example.tfvars.
egress             = "direct-vpc"
vpc_network        = "ledger-vpc"
vpc_subnetwork     = "ledger-functions"
vpc_egress_traffic = "all-traffic"
nat_static_ip      = true
