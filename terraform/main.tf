# The function, its source archive, its secret and its two service accounts.

locals {
  entry_point       = "ExportDaily" # registered in function/ with functions.HTTP("ExportDaily", ...)
  firestore_project = var.firestore_project != "" ? var.firestore_project : var.project_id
  source_archive    = var.source_archive != "" ? var.source_archive : "${path.module}/../dist/ledger-export-source.zip"
  source_bucket     = var.source_bucket_name != "" ? var.source_bucket_name : "${var.project_id}-ledger-export-source"
  runtime_sa_id     = "${substr(var.function_name, 0, 22)}-run"
  # Known at plan time, unlike google_service_account.runtime.email.
  runtime_sa_email = "${local.runtime_sa_id}@${var.project_id}.iam.gserviceaccount.com"

  # Every variable the function reads, except MONGODB_URI (secret_environment_variables below).
  # Optional ones are left out when empty, so that the function sees them unset.
  # DRIVE_SERVICE_ACCOUNT: with domain-wide delegation the function signs for the subject as itself.
  # LOG_EXECUTION_ID: Cloud Functions adds it to every 2nd-gen function; declaring
  # it avoids a permanent diff (GoogleCloudPlatform/cloud-foundation-fabric#2403).
  environment = {
    for k, v in merge({
      MONGODB_DATABASE          = var.mongodb_database
      QUEUE_COLLECTION          = var.queue_collection
      JOURNALS_COLLECTION       = var.journals_collection
      TRANSACTIONS_COLLECTION   = var.transactions_collection
      EXPORTLOGS_COLLECTION     = var.exportlogs_collection
      DRIVE_FOLDER_ID           = var.drive_folder_id
      DRIVE_SHARED_DRIVE_ID     = var.drive_shared_drive_id
      DRIVE_IMPERSONATE_SUBJECT = var.drive_impersonate_subject
      DRIVE_SERVICE_ACCOUNT     = var.drive_impersonate_subject != "" ? local.runtime_sa_email : ""
      FIRESTORE_PROJECT         = local.firestore_project
      FIRESTORE_DATABASE        = var.firestore_database
      LOCK_COLLECTION           = var.lock_collection
      TIME_ZONE                 = var.time_zone
      CUTOFF_TIME               = var.cutoff_time
      LEASE_DURATION            = var.lease_duration
      CHUNK_SIZE                = tostring(var.chunk_size)
      BATCH_SIZE                = tostring(var.batch_size)
      META_COLUMNS              = join(",", var.meta_columns)
      FILE_PREFIX               = var.file_prefix
      OUTPUT_FORMAT             = var.output_format
      LAYOUT                    = var.layout
      LANGUAGE                  = var.language
      HEALTH_WINDOW             = var.health_window
      GOMEMLIMIT                = var.go_memory_limit
      LOG_EXECUTION_ID          = "true"
    }, var.extra_environment_variables) : k => v if v != ""
  }

  runtime_project_roles = toset([
    "roles/monitoring.metricWriter",
    "roles/cloudtrace.agent",
    "roles/logging.logWriter",
  ])
}

# ------------------------------------------------------- service accounts --

resource "google_service_account" "runtime" {
  account_id   = local.runtime_sa_id
  display_name = "ledger-export runtime"
  description  = "Identity of the ${var.function_name} function: Firestore, the Mongo URI secret, telemetry, and the Drive folder shared with it."
}

resource "google_service_account" "invoker" {
  account_id   = "${substr(var.function_name, 0, 22)}-inv"
  display_name = "ledger-export scheduler invoker"
  description  = "Cloud Scheduler signs its OIDC token as this account; it may only invoke ${var.function_name}."
}

resource "google_project_iam_member" "runtime" {
  for_each = local.runtime_project_roles
  project  = var.project_id
  role     = each.value
  member   = google_service_account.runtime.member
}

# Lock documents live in FIRESTORE_PROJECT, which may be another project.
resource "google_project_iam_member" "runtime_firestore" {
  project = local.firestore_project
  role    = "roles/datastore.user"
  member  = google_service_account.runtime.member
}

# Domain-wide delegation from Cloud Run has no key file: the function signs the
# delegation JWT through the IAM Credentials API as itself.
resource "google_service_account_iam_member" "runtime_self_token_creator" {
  count              = var.drive_impersonate_subject != "" ? 1 : 0
  service_account_id = google_service_account.runtime.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_service_account.runtime.member
}

# ----------------------------------------------------------------- secret --

# Created empty: the URI is added by an operator with
#   gcloud secrets versions add <id> --data-file=-
# so it never appears in a variable, a plan or the state.
resource "google_secret_manager_secret" "mongodb_uri" {
  secret_id = var.mongodb_uri_secret_id
  labels    = var.labels

  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_iam_member" "runtime_mongodb_uri" {
  secret_id = google_secret_manager_secret.mongodb_uri.id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.runtime.member
}

# Optional, like the URI: created empty when notify_webhook_secret_id is set; the webhook URL (which holds its key
# and token) is added with gcloud secrets versions add, and reaches the function as NOTIFY_WEBHOOK_URL.
resource "google_secret_manager_secret" "notify_webhook_url" {
  count     = var.notify_webhook_secret_id != "" ? 1 : 0
  secret_id = var.notify_webhook_secret_id
  labels    = var.labels

  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_iam_member" "runtime_notify_webhook_url" {
  count     = var.notify_webhook_secret_id != "" ? 1 : 0
  secret_id = google_secret_manager_secret.notify_webhook_url[0].id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.runtime.member
}

# --------------------------------------------------------- source archive --

resource "google_storage_bucket" "source" {
  name                        = local.source_bucket
  location                    = var.region
  labels                      = var.labels
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true # it only holds build inputs that `make package` can remake
}

# The object name carries the archive's SHA-256: new code, new name, new build.
resource "google_storage_bucket_object" "source" {
  name         = "ledger-export-${filesha256(local.source_archive)}.zip"
  bucket       = google_storage_bucket.source.name
  source       = local.source_archive
  content_type = "application/zip"
}

# --------------------------------------------------------------- function --

resource "google_cloudfunctions2_function" "export" {
  name        = var.function_name
  location    = var.region
  description = "Daily ledger CSV export to Google Drive (POST to export, GET ?date= for status, GET /health)."
  labels      = var.labels

  build_config {
    runtime         = var.runtime
    entry_point     = local.entry_point
    service_account = var.build_service_account

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.runtime.email
    timeout_seconds                  = var.timeout_seconds
    available_memory                 = var.available_memory
    available_cpu                    = var.available_cpu
    min_instance_count               = 0
    max_instance_count               = var.max_instance_count
    max_instance_request_concurrency = var.max_instance_request_concurrency
    ingress_settings                 = var.ingress_settings
    all_traffic_on_latest_revision   = true

    environment_variables = local.environment

    # Egress (network.tf): nothing unless egress is direct-vpc or connector.
    direct_vpc_egress             = local.direct_vpc ? local.direct_vpc_egress : null
    vpc_connector                 = local.connector_id
    vpc_connector_egress_settings = local.use_connector ? local.connector_egress : null

    dynamic "direct_vpc_network_interface" {
      for_each = local.direct_vpc ? [1] : []
      content {
        network    = var.vpc_network
        subnetwork = var.vpc_subnetwork
      }
    }

    secret_environment_variables {
      key        = "MONGODB_URI"
      project_id = var.project_id
      secret     = google_secret_manager_secret.mongodb_uri.secret_id
      version    = "latest"
    }

    dynamic "secret_environment_variables" {
      for_each = google_secret_manager_secret.notify_webhook_url
      content {
        key        = "NOTIFY_WEBHOOK_URL"
        project_id = var.project_id
        secret     = secret_environment_variables.value.secret_id
        version    = "latest"
      }
    }
  }

  # The deploy checks that the runtime account can read the secret.
  depends_on = [
    google_secret_manager_secret_iam_member.runtime_mongodb_uri,
    google_secret_manager_secret_iam_member.runtime_notify_webhook_url,
    google_project_iam_member.runtime,
    google_project_iam_member.runtime_firestore,
  ]
}

# ----------------------------------------------------------------- invoke --

# A 2nd-gen function is served by a Cloud Run service of the same name, and
# invoking it checks run.routes.invoke on that service. The function-level IAM
# resource (google_cloudfunctions2_function_iam_member) rejects roles/run.invoker
# ("Role roles/run.invoker is not supported for this resource"), so the grant
# goes on the Cloud Run service, and on nothing wider.
resource "google_cloud_run_v2_service_iam_member" "scheduler_invoker" {
  project  = var.project_id
  location = google_cloudfunctions2_function.export.location
  name     = google_cloudfunctions2_function.export.name
  role     = "roles/run.invoker"
  member   = google_service_account.invoker.member
}

resource "google_cloud_run_v2_service_iam_member" "operator_invoker" {
  for_each = toset(var.operator_invoker_members)
  project  = var.project_id
  location = google_cloudfunctions2_function.export.location
  name     = google_cloudfunctions2_function.export.name
  role     = "roles/run.invoker"
  member   = each.value
}

# `gcloud functions call`, the card's manual invoke, first reads the function
# through the Cloud Functions API (cloudfunctions.functions.get) before it
# calls the URL. Read-only, and on this function only. make invoke does not
# need it (curl with an identity token).
resource "google_cloudfunctions2_function_iam_member" "operator_viewer" {
  for_each       = toset(var.operator_invoker_members)
  project        = var.project_id
  location       = google_cloudfunctions2_function.export.location
  cloud_function = google_cloudfunctions2_function.export.name
  role           = "roles/cloudfunctions.viewer"
  member         = each.value
}
