output "project_id" {
  description = "Project of the deployment (read by make invoke/status/run-now)."
  value       = var.project_id
}

output "region" {
  description = "Region of the function (read by make invoke/status)."
  value       = var.region
}

output "function_name" {
  description = "Name of the Cloud Function (and of its Cloud Run service)."
  value       = google_cloudfunctions2_function.export.name
}

output "function_url" {
  description = "URL that Cloud Scheduler calls and the audience of its OIDC token (the run.app URL of the function's service)."
  value       = google_cloudfunctions2_function.export.service_config[0].uri
}

output "function_timeout_seconds" {
  description = "The function's timeout: how long make invoke waits (with a minute more) for a run's answer."
  value       = google_cloudfunctions2_function.export.service_config[0].timeout_seconds
}

output "function_cloudfunctions_url" {
  description = "The function's cloudfunctions.net URL (also serves it)."
  value       = google_cloudfunctions2_function.export.url
}

output "scheduler_job_name" {
  description = "Cloud Scheduler job name (make run-now runs it)."
  value       = google_cloud_scheduler_job.daily.name
}

output "scheduler_region" {
  description = "Region of the Cloud Scheduler job."
  value       = local.scheduler_region
}

output "scheduler_attempt_start_minutes" {
  description = "When each attempt of a day starts, in minutes after the scheduled time, if every attempt fails at once (first = the scheduled run, then one per retry). A slow failure delays the later ones by its duration."
  value       = local.retry_attempt_minutes
}

output "runtime_service_account_email" {
  description = "The function's identity: share the Drive folder's Shared Drive with it (Content manager), or give it domain-wide delegation."
  value       = google_service_account.runtime.email
}

output "invoker_service_account_email" {
  description = "Identity of Cloud Scheduler's OIDC token; it holds roles/run.invoker on the function's service only."
  value       = google_service_account.invoker.email
}

output "mongodb_uri_secret" {
  description = "Secret that holds the MongoDB URI; add its value with gcloud secrets versions add."
  value       = google_secret_manager_secret.mongodb_uri.secret_id
}

output "source_object" {
  description = "The uploaded source archive (its name carries the archive's SHA-256)."
  value       = "gs://${google_storage_bucket.source.name}/${google_storage_bucket_object.source.name}"
}

output "nat_ip" {
  description = "The function's fixed egress address (Cloud NAT, nat_static_ip = true): add it, as ADDRESS/32, to MongoDB Atlas's IP access list. Empty without nat_static_ip."
  value       = var.nat_static_ip ? google_compute_address.nat[0].address : ""
}

output "egress" {
  description = "How the function reaches MongoDB: none, direct-vpc or connector (with the connector's id)."
  value       = local.use_connector ? "connector ${local.connector_id}" : var.egress
}

output "dashboard_url" {
  description = "The Cloud Monitoring dashboard of the runs (enable_dashboard). Empty when it is not created."
  value       = var.enable_dashboard ? "https://console.cloud.google.com/monitoring/dashboards/builder/${element(split("/", google_monitoring_dashboard.runs[0].id), length(split("/", google_monitoring_dashboard.runs[0].id)) - 1)}?project=${var.project_id}" : ""
}
