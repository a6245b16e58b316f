# The daily trigger. Cloud Scheduler owns every retry: the function never
# sleeps or retries on a timer of its own; it answers 5xx (or 409 while another
# attempt holds the date's lease) and Scheduler tries again on the schedule below.

locals {
  scheduler_region   = var.scheduler_region != "" ? var.scheduler_region : var.region
  scheduler_job_name = var.scheduler_job_name != "" ? var.scheduler_job_name : "${var.function_name}-daily"

  # Cloud Scheduler's backoff: the wait starts at min_backoff, doubles
  # max_doublings times, then grows linearly by the last doubled step, and is
  # capped at max_backoff (cloud.google.com/scheduler/docs/reference/rest/v1/projects.locations.jobs#RetryConfig).
  retry_waits = [
    for k in range(var.retry_count) : min(
      var.retry_max_backoff_seconds,
      k <= var.retry_max_doublings
      ? var.retry_min_backoff_seconds * pow(2, k)
      : var.retry_min_backoff_seconds * pow(2, var.retry_max_doublings) * (k - var.retry_max_doublings + 1)
    )
  ]
  # Start of each attempt after the scheduled time, in minutes, when every
  # attempt fails at once. An attempt that fails late (up to the attempt
  # deadline) pushes the later ones back by as much.
  retry_attempt_minutes = concat([0], [
    for k in range(var.retry_count) : sum(slice(concat([0], local.retry_waits), 0, k + 2)) / 60
  ])
}

resource "google_cloud_scheduler_job" "daily" {
  name             = local.scheduler_job_name
  region           = local.scheduler_region
  description      = "Runs ${var.function_name} for the day's batch. The function takes the batch date from the X-CloudScheduler-ScheduleTime header, which stays the same across retries."
  schedule         = var.schedule
  time_zone        = var.time_zone
  paused           = var.scheduler_paused
  attempt_deadline = "${var.attempt_deadline_seconds}s"

  retry_config {
    retry_count          = var.retry_count
    min_backoff_duration = "${var.retry_min_backoff_seconds}s"
    max_backoff_duration = "${var.retry_max_backoff_seconds}s"
    max_doublings        = var.retry_max_doublings
    max_retry_duration   = "0s" # no time limit: retry_count alone bounds the retries
  }

  http_target {
    http_method = "POST"
    uri         = google_cloudfunctions2_function.export.service_config[0].uri
    # An empty JSON object: no date, so the function uses X-CloudScheduler-ScheduleTime,
    # which Cloud Scheduler adds to every attempt.
    body    = base64encode("{}")
    headers = { "Content-Type" = "application/json" }

    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = google_cloudfunctions2_function.export.service_config[0].uri
    }
  }

  depends_on = [google_cloud_run_v2_service_iam_member.scheduler_invoker]
}
