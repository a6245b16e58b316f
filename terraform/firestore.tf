# Firestore holds one lock document per batch date in lock_collection.

resource "google_firestore_database" "locks" {
  count                   = var.create_firestore_database ? 1 : 0
  project                 = local.firestore_project
  name                    = var.firestore_database
  location_id             = var.firestore_location
  type                    = "FIRESTORE_NATIVE"
  delete_protection_state = "DELETE_PROTECTION_ENABLED"
  deletion_policy         = "ABANDON" # the lock documents are the export's record: never drop them with the stack
}

locals {
  firestore_database = var.create_firestore_database ? google_firestore_database.locks[0].name : var.firestore_database
}

# TTL policy on the lock documents' expireAt timestamp. Firestore deletes an
# expired document typically within 24 hours; the function never relies on
# that (an expired lease is detected from the document itself). The empty
# index_config turns off single-field indexes on expireAt, as Firestore advises
# for a TTL field.
resource "google_firestore_field" "lock_expire_at" {
  project    = local.firestore_project
  database   = local.firestore_database
  collection = var.lock_collection
  field      = "expireAt"

  ttl_config {}
  index_config {}
}

# The status query: where state == "done" order by batchDate desc limit 1.
resource "google_firestore_index" "lock_done_by_date" {
  project     = local.firestore_project
  database    = local.firestore_database
  collection  = var.lock_collection
  query_scope = "COLLECTION"

  fields {
    field_path = "state"
    order      = "ASCENDING"
  }

  fields {
    field_path = "batchDate"
    order      = "DESCENDING"
  }
}
