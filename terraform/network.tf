# Optional network egress, for a MongoDB that is private (in a VPC) or admits only listed addresses (Atlas's IP
# access list). With the defaults (egress = "none") nothing here is created and the function keeps Cloud Run's
# default egress: public internet, from addresses that are not fixed.
#
#   egress = "direct-vpc"  Direct VPC egress: the function's instances take addresses in vpc_subnetwork.
#   egress = "connector"   a Serverless VPC Access connector: vpc_connector (an existing one), or one created here
#                          on vpc_network from the /28 in vpc_connector_cidr.
#   nat_static_ip = true   a Cloud NAT on vpc_network with one reserved static address; with
#                          vpc_egress_traffic = "all-traffic" every connection of the function, Atlas's included,
#                          leaves from it. `terraform output -raw nat_ip` is the address for Atlas's IP access list.

locals {
  direct_vpc    = var.egress == "direct-vpc"
  use_connector = var.egress == "connector"
  make_conn     = local.use_connector && var.vpc_connector == ""
  nat           = var.nat_static_ip ? 1 : 0
  connector_id = (
    !local.use_connector ? null :
    local.make_conn ? google_vpc_access_connector.export[0].id : var.vpc_connector
  )
  # Cloud Functions spells the two choices differently for Direct VPC egress and for a connector.
  direct_vpc_egress   = var.vpc_egress_traffic == "all-traffic" ? "VPC_EGRESS_ALL_TRAFFIC" : "VPC_EGRESS_PRIVATE_RANGES_ONLY"
  connector_egress    = var.vpc_egress_traffic == "all-traffic" ? "ALL_TRAFFIC" : "PRIVATE_RANGES_ONLY"
  nat_router_name     = "${var.function_name}-nat"
  nat_subnetworks_all = !local.direct_vpc
}

# A connector created here, when egress = "connector" and no existing one is named.
resource "google_vpc_access_connector" "export" {
  count         = local.make_conn ? 1 : 0
  name          = substr("${replace(var.function_name, "_", "-")}-conn", 0, 25)
  region        = var.region
  network       = var.vpc_network
  ip_cidr_range = var.vpc_connector_cidr
  min_instances = 2
  max_instances = 3
  machine_type  = "e2-micro"
}

# The static address the NAT sends from: the one to put on Atlas's IP access list.
resource "google_compute_address" "nat" {
  count        = local.nat
  name         = "${var.function_name}-egress"
  region       = var.region
  address_type = "EXTERNAL"
  network_tier = "PREMIUM"
  description  = "Egress address of ${var.function_name} (Cloud NAT): allow it in MongoDB Atlas's IP access list."
  labels       = var.labels
}

resource "google_compute_router" "nat" {
  count   = local.nat
  name    = local.nat_router_name
  region  = var.region
  network = var.vpc_network
}

# With Direct VPC egress the NAT serves the function's subnetwork only; with a connector, whose subnetwork is
# managed by the connector, every subnetwork of the network.
resource "google_compute_router_nat" "nat" {
  count                              = local.nat
  name                               = local.nat_router_name
  router                             = google_compute_router.nat[0].name
  region                             = var.region
  nat_ip_allocate_option             = "MANUAL_ONLY"
  nat_ips                            = google_compute_address.nat[*].self_link
  source_subnetwork_ip_ranges_to_nat = local.nat_subnetworks_all ? "ALL_SUBNETWORKS_ALL_IP_RANGES" : "LIST_OF_SUBNETWORKS"

  dynamic "subnetwork" {
    for_each = local.nat_subnetworks_all ? [] : [var.vpc_subnetwork]
    content {
      name                    = subnetwork.value
      source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
    }
  }

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}
