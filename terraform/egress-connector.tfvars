# A Serverless VPC Access connector, created here on vpc_network from a free /28 (or name an existing one with
# vpc_connector = "projects/P/locations/R/connectors/N"). make deploy-check plans it on example.tfvars.
egress             = "connector"
vpc_network        = "ledger-vpc"
vpc_connector_cidr = "10.8.0.0/28"
vpc_egress_traffic = "private-ranges-only"
