# Inputs of the ledger-export deployment. Every value that the function reads
# from its environment comes from a variable here (see locals.env in main.tf);
# the Mongo URI never does: it comes from Secret Manager.

# ---------------------------------------------------------------- project --

variable "project_id" {
  description = "Google Cloud project that runs the function, the scheduler job and the alerts."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID (6-30 lowercase letters, digits and hyphens), not a project number or name."
  }
}

variable "region" {
  description = "Region of the function and its source bucket (asia-southeast1 is Singapore, the nearest to Bangkok)."
  type        = string
  default     = "asia-southeast1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must look like asia-southeast1."
  }
}

variable "labels" {
  description = "Labels put on the function, the bucket and the secret."
  type        = map(string)
  default     = { app = "ledger-export" }
}

# --------------------------------------------------------------- function --

variable "function_name" {
  description = "Name of the Cloud Function (2nd gen); it is also the name of its Cloud Run service and appears in log filters."
  type        = string
  default     = "ledger-export"

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{2,47}[a-z0-9]$", var.function_name))
    error_message = "function_name must be 4-49 lowercase letters, digits and hyphens, starting with a letter (Cloud Run service name rules; the service accounts are named after it)."
  }
}

variable "runtime" {
  description = "Cloud Functions Go runtime ID. go.mod asks for go 1.26.8; go127 (Go 1.27.x) builds it. go126 builds it only if the Go 1.26 patch of Google's image is at least 1.26.8, which nothing can check before a deploy, so it is refused here and by make package (scripts/gcfpack)."
  type        = string
  default     = "go127"

  validation {
    condition     = can(regex("^go1[0-9]{2}$", var.runtime)) && try(tonumber(substr(var.runtime, 2, 3)) >= 127, false)
    error_message = "runtime must be a Go runtime ID of at least go127: go.mod asks for go 1.26.8, and go126's image may carry an older 1.26 patch."
  }
}

variable "source_archive" {
  description = "Path of the zip that `make package` writes. Empty means ../dist/ledger-export-source.zip beside this folder. Its SHA-256 is in the object name, so a code change redeploys."
  type        = string
  default     = ""
}

variable "source_bucket_name" {
  description = "Bucket for the source archives. Empty means <project_id>-ledger-export-source."
  type        = string
  default     = ""
}

variable "build_service_account" {
  description = "Optional service account (full resource name projects/P/serviceAccounts/EMAIL) for the Cloud Build that turns the archive into an image. Null uses the platform default; a dedicated account with roles/cloudbuild.builds.builder is the least-privilege choice."
  type        = string
  default     = null
}

variable "timeout_seconds" {
  description = "Function timeout in seconds. At most 1800: Cloud Scheduler cancels an attempt after its attempt deadline (30 min at most), which would cut a longer export off."
  type        = number
  default     = 1800

  validation {
    condition     = var.timeout_seconds >= 60 && var.timeout_seconds <= 1800 && floor(var.timeout_seconds) == var.timeout_seconds
    error_message = "timeout_seconds must be a whole number between 60 and 1800 (Cloud Scheduler's attempt deadline is at most 30 minutes)."
  }
}

variable "available_memory" {
  description = "Memory of the function instance, e.g. 512Mi or 1Gi. The export streams, so memory is bounded by CHUNK_SIZE and BATCH_SIZE, not by the number of entries."
  type        = string
  default     = "512Mi"

  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi|M|G)$", var.available_memory))
    error_message = "available_memory must be a size such as 512Mi or 1Gi."
  }
}

variable "available_cpu" {
  description = "Optional CPU count of the instance (e.g. \"1\"). Null lets Cloud Functions derive it from the memory."
  type        = string
  default     = null
}

variable "max_instance_count" {
  description = "Maximum instances. 1 by design: the Firestore lease already makes a second run answer 409, and one instance keeps Mongo and Drive load predictable."
  type        = number
  default     = 1

  validation {
    condition     = var.max_instance_count >= 1 && var.max_instance_count <= 10 && floor(var.max_instance_count) == var.max_instance_count
    error_message = "max_instance_count must be a whole number from 1 to 10."
  }
}

variable "max_instance_request_concurrency" {
  description = "Requests one instance serves at once. 1 by design (one export per instance); a status GET during an export then waits or gets 429."
  type        = number
  default     = 1

  validation {
    condition     = var.max_instance_request_concurrency >= 1 && var.max_instance_request_concurrency <= 1000 && floor(var.max_instance_request_concurrency) == var.max_instance_request_concurrency
    error_message = "max_instance_request_concurrency must be a whole number from 1 to 1000."
  }

  # Cloud Run serves more than one request at a time per instance only with at
  # least one vCPU; the CPU that Cloud Functions derives from 512Mi is less.
  validation {
    condition     = var.max_instance_request_concurrency == 1 || try(tonumber(var.available_cpu) >= 1, false)
    error_message = "max_instance_request_concurrency above 1 needs at least 1 vCPU: set available_cpu = \"1\" (or more) as well."
  }
}

variable "ingress_settings" {
  description = "Who can reach the function's URL at the network level (IAM still applies). ALLOW_INTERNAL_ONLY still admits Cloud Scheduler of the same project but blocks `make invoke` from a laptop."
  type        = string
  default     = "ALLOW_ALL"

  validation {
    condition     = contains(["ALLOW_ALL", "ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB"], var.ingress_settings)
    error_message = "ingress_settings must be ALLOW_ALL, ALLOW_INTERNAL_ONLY or ALLOW_INTERNAL_AND_GCLB."
  }
}

# ------------------------------------------------- function configuration --
# Each of these becomes one environment variable of the function.

variable "mongodb_uri_secret_id" {
  description = "Secret Manager secret ID that holds the MongoDB URI. Terraform creates the secret empty; add its value with `gcloud secrets versions add` (README). It reaches the function as MONGODB_URI."
  type        = string
  default     = "ledger-export-mongodb-uri"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.mongodb_uri_secret_id))
    error_message = "mongodb_uri_secret_id may hold only letters, digits, hyphens and underscores."
  }
}

variable "notify_webhook_secret_id" {
  description = "Optional Secret Manager secret ID for NOTIFY_WEBHOOK_URL, the Google Chat (or Slack) incoming webhook that hears when a date's file is in Drive or will be late. Empty: no notices. Terraform creates the secret empty; add the URL with `gcloud secrets versions add`, so it is never in a variable, a plan or the state."
  type        = string
  default     = ""

  validation {
    condition     = var.notify_webhook_secret_id == "" || can(regex("^[A-Za-z0-9_-]{1,255}$", var.notify_webhook_secret_id))
    error_message = "notify_webhook_secret_id may hold only letters, digits, hyphens and underscores."
  }
}

variable "mongodb_database" {
  description = "MONGODB_DATABASE: the database that holds Medici's collections."
  type        = string

  validation {
    condition     = length(var.mongodb_database) > 0 && !can(regex("[/\\\\. \"$]", var.mongodb_database))
    error_message = "mongodb_database must be a MongoDB database name (no / \\ . space \" or $)."
  }
}

variable "queue_collection" {
  description = "QUEUE_COLLECTION: the export queue collection."
  type        = string
  default     = "exportqueues"
}

variable "journals_collection" {
  description = "JOURNALS_COLLECTION: Medici's journals collection."
  type        = string
  default     = "medici_journals"
}

variable "transactions_collection" {
  description = "TRANSACTIONS_COLLECTION: Medici's transactions (journal lines) collection."
  type        = string
  default     = "medici_transactions"
}

variable "exportlogs_collection" {
  description = "EXPORTLOGS_COLLECTION: where the app reads export log documents."
  type        = string
  default     = "exportlogs"
}

variable "drive_folder_id" {
  description = "DRIVE_FOLDER_ID: the Drive folder (in a Shared Drive) that receives the CSV files. Share the drive with the runtime service account (README)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{10,}$", var.drive_folder_id))
    error_message = "drive_folder_id must be a Drive folder ID (the last part of the folder's URL)."
  }
}

variable "drive_shared_drive_id" {
  description = "DRIVE_SHARED_DRIVE_ID (optional): the Shared Drive that holds the folder. Empty leaves the variable unset."
  type        = string
  default     = ""
}

variable "drive_impersonate_subject" {
  description = "DRIVE_IMPERSONATE_SUBJECT (optional): a Workspace user to act as through domain-wide delegation instead of sharing a drive with the service account. When set, the runtime account also gets roles/iam.serviceAccountTokenCreator on itself so it can sign the delegation JWT."
  type        = string
  default     = ""

  validation {
    condition     = var.drive_impersonate_subject == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.drive_impersonate_subject))
    error_message = "drive_impersonate_subject must be empty or a user's email address."
  }
}

variable "firestore_project" {
  description = "FIRESTORE_PROJECT: project of the Firestore database that holds the lock documents. Empty means project_id."
  type        = string
  default     = ""
}

variable "firestore_database" {
  description = "FIRESTORE_DATABASE: \"(default)\" or the ID of a named Firestore database."
  type        = string
  default     = "(default)"

  validation {
    condition     = var.firestore_database == "(default)" || can(regex("^[a-z][a-z0-9-]{2,61}[a-z0-9]$", var.firestore_database))
    error_message = "firestore_database must be \"(default)\" or a database ID (4-63 lowercase letters, digits and hyphens)."
  }
}

variable "create_firestore_database" {
  description = "Create the Firestore database named firestore_database (Native mode, delete protection on). Leave false to use an existing one, such as a project's (default) database."
  type        = bool
  default     = false
}

variable "firestore_location" {
  description = "Location of the Firestore database when create_firestore_database is true."
  type        = string
  default     = "asia-southeast1"
}

variable "lock_collection" {
  description = "LOCK_COLLECTION: Firestore collection with one lock document per batch date. Its expireAt field gets a TTL policy."
  type        = string
  default     = "ledger-export-runs"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,100}$", var.lock_collection)) && !startswith(var.lock_collection, "__")
    error_message = "lock_collection must be a plain collection ID (no slash, not starting with __)."
  }
}

variable "time_zone" {
  description = "IANA time zone of the schedule and of the batch date (Cloud Scheduler's time_zone and the function's TIME_ZONE share this one value)."
  type        = string
  default     = "Asia/Bangkok"

  validation {
    condition     = can(regex("^(UTC|Etc/[A-Za-z0-9+-]+|[A-Z][A-Za-z_]+(/[A-Za-z0-9_+-]+){1,2})$", var.time_zone))
    error_message = "time_zone must be an IANA zone name such as Asia/Bangkok or UTC (not an offset like +07:00)."
  }
}

variable "cutoff_time" {
  description = "CUTOFF_TIME (HH:MM in time_zone): entries queued before D at this time belong to batch D. Keep it equal to or before the scheduled time."
  type        = string
  default     = "18:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.cutoff_time))
    error_message = "cutoff_time must be HH:MM, 24-hour, e.g. 18:00."
  }
}

variable "lease_duration" {
  description = "LEASE_DURATION (Go duration such as 35m or 1h5m): how long a run's Firestore lease lives. It must exceed timeout_seconds, so that a live run is never taken over, and end before the day's last scheduler retry, so that a crashed run's date is taken over the same day."
  type        = string
  default     = "35m"

  validation {
    condition = can(regex("^([0-9]+h)?([0-9]+m)?([0-9]+s)?$", var.lease_duration)) && var.lease_duration != "" && (
      sum([for i, part in regex("^(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?$", var.lease_duration) :
      (part == null || part == "" ? 0 : tonumber(part)) * [3600, 60, 1][i]]) > var.timeout_seconds
    )
    error_message = "lease_duration must be a Go duration made of h, m and s parts (e.g. 35m) and longer than timeout_seconds."
  }
}

variable "chunk_size" {
  description = "CHUNK_SIZE in bytes for Drive's resumable upload: a multiple of 262144 (256 KiB). The instance holds about one chunk in memory."
  type        = number
  default     = 4194304

  validation {
    condition     = var.chunk_size >= 262144 && var.chunk_size % 262144 == 0 && var.chunk_size <= 268435456
    error_message = "chunk_size must be a multiple of 262144 (256 KiB), between 262144 and 268435456."
  }
}

variable "batch_size" {
  description = "BATCH_SIZE: entries per page, the ids of each $in lookup (1 to 1000); one queue query reads 5 pages."
  type        = number
  default     = 1000

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 100000 && floor(var.batch_size) == var.batch_size
    error_message = "batch_size must be a whole number from 1 to 100000."
  }
}

variable "meta_columns" {
  description = "META_COLUMNS: extra CSV columns taken from the journal's meta fields, in order. Empty leaves the variable unset."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.meta_columns : can(regex("^[A-Za-z_][A-Za-z0-9_.]*$", c))])
    error_message = "each meta column must be a field name (letters, digits, _ and .), without commas."
  }
}

variable "file_prefix" {
  description = "FILE_PREFIX: the CSV is named <prefix>_<YYYY-MM-DD>.csv."
  type        = string
  default     = "ledger-export"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,100}$", var.file_prefix))
    error_message = "file_prefix may hold letters, digits, dot, underscore and hyphen only."
  }
}

variable "output_format" {
  description = "OUTPUT_FORMAT: csv, or xlsx (a typed workbook named <prefix>_<YYYY-MM-DD>.xlsx; internal/xlsxfile/README.md)."
  type        = string
  default     = "csv"

  validation {
    condition     = contains(["csv", "xlsx"], var.output_format)
    error_message = "output_format must be csv or xlsx."
  }
}

variable "layout" {
  description = "LAYOUT: the file's columns: default, a preset (xero-manual-journal, quickbooks-journal-entry; its account map is the Google Sheet account-map in the export folder, read at every run) or a JSON layout (internal/layout/README.md). The function checks it at start-up. Empty leaves the variable unset (default)."
  type        = string
  default     = ""
}

variable "language" {
  description = "LANGUAGE: th or en, the language of the delivery notice and of the XLSX Summary sheet (the data columns' headers stay as the layout says)."
  type        = string
  default     = "th"

  validation {
    condition     = contains(["th", "en"], var.language)
    error_message = "language must be th or en."
  }
}

variable "health_window" {
  description = "HEALTH_WINDOW (Go duration in h and m, e.g. 26h): GET /health answers 503 when no export succeeded within it, and the \"no successful export\" alert uses the same window."
  type        = string
  default     = "26h"

  validation {
    condition     = can(regex("^([0-9]+h)?([0-9]+m)?$", var.health_window)) && var.health_window != ""
    error_message = "health_window must be a duration in hours and minutes such as 26h or 25h30m."
  }
}

variable "go_memory_limit" {
  description = "GOMEMLIMIT, the Go runtime's soft memory limit (e.g. 44MiB). The export's live heap is bounded (a few pages, two chunks, two segments: about 23 MB); the limit makes the garbage collector keep the heap near it instead of letting it double, which holds peak RSS under 64 MiB at 1,000,000 entries (about 59 MiB at 44MiB; 40MiB costs a quarter more CPU, 48MiB comes within 1 MiB of 64: internal/bench/README.md). Empty leaves the runtime's default (no limit)."
  type        = string
  default     = "44MiB"

  validation {
    condition     = can(regex("^([0-9]+(B|KiB|MiB|GiB))?$", var.go_memory_limit))
    error_message = "go_memory_limit must be a size such as 44MiB, or empty."
  }
}

variable "extra_environment_variables" {
  description = "More plain environment variables for the function (for example an OpenTelemetry setting). MONGODB_URI is refused here: it only ever comes from Secret Manager."
  type        = map(string)
  default     = {}

  validation {
    condition     = !contains([for k in keys(var.extra_environment_variables) : upper(k)], "MONGODB_URI") && !contains([for k in keys(var.extra_environment_variables) : upper(k)], "NOTIFY_WEBHOOK_URL")
    error_message = "MONGODB_URI and NOTIFY_WEBHOOK_URL must not be plain environment variables; they come from Secret Manager secrets."
  }
}

# -------------------------------------------------------------- scheduler --

variable "schedule" {
  description = "Cron schedule of the daily run, in time_zone (unix-cron, five fields)."
  type        = string
  default     = "0 18 * * *"

  validation {
    condition     = can(regex("^[0-9*/,A-Za-z-]+( +[0-9*/,A-Za-z-]+){4}$", trimspace(var.schedule)))
    error_message = "schedule must be a five-field unix-cron expression such as \"0 18 * * *\"."
  }
}

variable "scheduler_region" {
  description = "Region of the Cloud Scheduler job. Empty means region."
  type        = string
  default     = ""
}

variable "scheduler_job_name" {
  description = "Name of the Cloud Scheduler job. Empty means <function_name>-daily."
  type        = string
  default     = ""
}

variable "scheduler_paused" {
  description = "Create the scheduler job paused (for a first deploy before the secret and the drive are ready)."
  type        = bool
  default     = false
}

variable "attempt_deadline_seconds" {
  description = "How long Cloud Scheduler waits for one attempt (15-1800 s). Not below timeout_seconds, or Scheduler would give up on an export that is still running."
  type        = number
  default     = 1800

  validation {
    condition     = var.attempt_deadline_seconds >= 15 && var.attempt_deadline_seconds <= 1800 && var.attempt_deadline_seconds >= var.timeout_seconds
    error_message = "attempt_deadline_seconds must be between 15 and 1800 and at least timeout_seconds."
  }
}

variable "retry_count" {
  description = "Retries after a failed attempt (Cloud Scheduler allows 0-5). A retry of a run that another attempt still holds gets 409 and is retried again later; with the defaults the last retry starts 75 min after the first attempt, after the lease of an attempt that died has ended."
  type        = number
  default     = 4

  validation {
    condition     = var.retry_count >= 0 && var.retry_count <= 5 && floor(var.retry_count) == var.retry_count
    error_message = "retry_count must be a whole number from 0 to 5."
  }
}

variable "retry_min_backoff_seconds" {
  description = "Wait before the first retry, in seconds. At least 300, so a failure caused by a dependency outage is not hammered."
  type        = number
  default     = 300

  validation {
    condition     = var.retry_min_backoff_seconds >= 300 && var.retry_min_backoff_seconds <= 3600
    error_message = "retry_min_backoff_seconds must be between 300 and 3600."
  }
}

variable "retry_max_backoff_seconds" {
  description = "Longest wait between retries, in seconds (at most 3600)."
  type        = number
  default     = 2400

  validation {
    condition     = var.retry_max_backoff_seconds >= var.retry_min_backoff_seconds && var.retry_max_backoff_seconds <= 3600
    error_message = "retry_max_backoff_seconds must be between retry_min_backoff_seconds and 3600."
  }
}

variable "retry_max_doublings" {
  description = "How many times the wait doubles before it grows linearly (Cloud Scheduler's max_doublings)."
  type        = number
  default     = 3

  validation {
    condition     = var.retry_max_doublings >= 0 && var.retry_max_doublings <= 5 && floor(var.retry_max_doublings) == var.retry_max_doublings
    error_message = "retry_max_doublings must be a whole number from 0 to 5."
  }
}

# ------------------------------------------------------------- access ----

variable "operator_invoker_members" {
  description = "People or groups who may invoke the function by hand (make invoke, make status), as IAM members: user:..., group:... or serviceAccount:... Public principals are refused."
  type        = list(string)
  default     = []

  validation {
    condition = alltrue([
      for m in var.operator_invoker_members :
      can(regex("^(user|group|serviceAccount):[^@\\s]+@[^@\\s]+$", m))
    ])
    error_message = "operator_invoker_members takes user:, group: or serviceAccount: members only (never a public principal or a whole domain)."
  }
}

# ------------------------------------------------------------- alerting --

variable "runbook_url" {
  description = "Web address of terraform/README.md; each alert's notification links to its section there (#alert-...). Point it at your fork or wiki copy."
  type        = string
  default     = "https://github.com/siamledger/ledger-export/blob/main/terraform/README.md"

  validation {
    condition     = can(regex("^https://[^#\\s]+$", var.runbook_url))
    error_message = "runbook_url must be an https address without a #fragment."
  }
}

variable "enable_alerts" {
  description = "Create the log-based metrics and the three alert policies."
  type        = bool
  default     = true
}

variable "notification_channel_ids" {
  description = "Existing Monitoring notification channels for the alerts, as full names projects/P/notificationChannels/N."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.notification_channel_ids : can(regex("^projects/[^/]+/notificationChannels/[0-9]+$", c))])
    error_message = "notification_channel_ids must be full channel names: projects/PROJECT/notificationChannels/ID."
  }
}

variable "alert_email" {
  description = "Optional email address; when set, an email notification channel is created for it and added to the alerts."
  type        = string
  default     = ""

  validation {
    condition     = var.alert_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be empty or an email address."
  }
}

# ---------------------------------------------------------------- network --

variable "egress" {
  description = "How the function reaches MongoDB: none (Cloud Run's default public egress, from addresses that are not fixed), direct-vpc (Direct VPC egress into vpc_subnetwork) or connector (a Serverless VPC Access connector). See terraform/README.md, \"MongoDB Atlas\" and \"A MongoDB inside a VPC\"."
  type        = string
  default     = "none"

  validation {
    condition     = contains(["none", "direct-vpc", "connector"], var.egress)
    error_message = "egress must be none, direct-vpc or connector."
  }
}

variable "vpc_network" {
  description = "VPC network (name or self link) for egress = direct-vpc, for a connector created here, and for the Cloud NAT."
  type        = string
  default     = ""

  validation {
    condition     = var.egress != "direct-vpc" || var.vpc_network != ""
    error_message = "egress = \"direct-vpc\" needs vpc_network (and vpc_subnetwork)."
  }
}

variable "vpc_subnetwork" {
  description = "Subnetwork (name or self link, in region) whose addresses the function's instances take with egress = direct-vpc. Give it at least a /26: Cloud Run takes addresses in blocks."
  type        = string
  default     = ""

  validation {
    condition     = var.egress != "direct-vpc" || var.vpc_subnetwork != ""
    error_message = "egress = \"direct-vpc\" needs vpc_subnetwork."
  }
}

variable "vpc_connector" {
  description = "With egress = connector: an existing Serverless VPC Access connector, projects/P/locations/R/connectors/N. Empty creates one on vpc_network from vpc_connector_cidr."
  type        = string
  default     = ""

  validation {
    condition     = var.vpc_connector == "" || can(regex("^projects/[^/]+/locations/[^/]+/connectors/[^/]+$", var.vpc_connector))
    error_message = "vpc_connector must be a connector id: projects/PROJECT/locations/REGION/connectors/NAME."
  }
}

variable "vpc_connector_cidr" {
  description = "With egress = connector and no vpc_connector: an unused /28 of vpc_network for the connector created here (e.g. 10.8.0.0/28)."
  type        = string
  default     = ""

  validation {
    condition = var.egress != "connector" || var.vpc_connector != "" || (
      var.vpc_network != "" && can(regex("^[0-9]{1,3}(\\.[0-9]{1,3}){3}/28$", var.vpc_connector_cidr))
    )
    error_message = "egress = \"connector\" needs vpc_connector, or vpc_network and a /28 in vpc_connector_cidr."
  }
}

variable "vpc_egress_traffic" {
  description = "Which of the function's traffic goes through the VPC: private-ranges-only (RFC 1918 addresses: a MongoDB in the VPC or behind a private endpoint) or all-traffic (everything, which nat_static_ip needs so that Atlas sees the NAT address)."
  type        = string
  default     = "private-ranges-only"

  validation {
    condition     = contains(["private-ranges-only", "all-traffic"], var.vpc_egress_traffic)
    error_message = "vpc_egress_traffic must be private-ranges-only or all-traffic."
  }
}

variable "nat_static_ip" {
  description = "Create a Cloud NAT on vpc_network with a reserved static address (output nat_ip), for MongoDB Atlas's IP access list. Needs egress = direct-vpc or connector, vpc_network, and vpc_egress_traffic = all-traffic."
  type        = bool
  default     = false

  validation {
    condition     = !var.nat_static_ip || (var.egress != "none" && var.vpc_network != "" && var.vpc_egress_traffic == "all-traffic")
    error_message = "nat_static_ip needs egress = direct-vpc or connector, vpc_network, and vpc_egress_traffic = \"all-traffic\" (otherwise Atlas traffic would not leave through the NAT)."
  }
}

# -------------------------------------------------------------- dashboard --

variable "enable_dashboard" {
  description = "Create the Cloud Monitoring dashboard (output dashboard_url). It reads the two log-based metrics, which are then created even with enable_alerts = false."
  type        = bool
  default     = true
}
