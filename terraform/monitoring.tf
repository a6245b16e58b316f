# Alerts, all driven by the one summary line each run ends with:
#   {"severity":...,"message":"export finished","outcome":"exported|already_done|busy|dry_run|failed",
#    "errorClass":...,"batchDate":"YYYY-MM-DD","durationMs":N,...}
# A 2nd-gen function logs as the Cloud Run revision of the service of the same name.

locals {
  alerts         = var.enable_alerts ? 1 : 0
  log_metrics    = var.enable_alerts || var.enable_dashboard ? 1 : 0 # the alerts and the dashboard read them
  metric_prefix  = replace(var.function_name, "-", "_")
  finished_log   = <<-EOT
    resource.type="cloud_run_revision"
    resource.labels.service_name="${var.function_name}"
    jsonPayload.message="export finished"
  EOT
  finished_type  = "logging.googleapis.com/user/${local.metric_prefix}_finished"
  duration_type  = "logging.googleapis.com/user/${local.metric_prefix}_duration"
  timeout_ms     = var.timeout_seconds * 1000
  near_timeout   = 0.8 # fraction of the timeout that counts as "nearing" it
  alert_channels = concat(var.notification_channel_ids, google_monitoring_notification_channel.email[*].name)
  # Each alert links to its own section of terraform/README.md (one anchor per
  # alert; make tf-static checks that every anchor exists).
  runbook_tail = "Status of a date: `make status DATE=YYYY-MM-DD`; re-run: `make invoke DATE=YYYY-MM-DD`."
  # The stuck-work gauge, newest point within 25 h, per kind (alert 4).
  stuck_query = "max by (kind) (last_over_time(workload_googleapis_com:ledger_export_stuck[25h])) > 0"
  # The log-based counter of exported runs, for the PromQL condition below.
  exported_series = "logging_googleapis_com:user_${local.metric_prefix}_finished{monitored_resource=\"cloud_run_revision\",service_name=\"${var.function_name}\",outcome=\"exported\"}[${var.health_window}]"
}

resource "google_monitoring_notification_channel" "email" {
  count        = var.alert_email != "" ? 1 : 0
  display_name = "ledger-export alerts (${var.alert_email})"
  type         = "email"
  labels       = { email_address = var.alert_email }
}

# One count per finished run, labelled by outcome and error class.
resource "google_logging_metric" "finished" {
  count       = local.log_metrics
  name        = "${local.metric_prefix}_finished"
  description = "Runs of ${var.function_name} that logged \"export finished\", by outcome."
  filter      = local.finished_log

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "ledger-export runs finished"

    labels {
      key         = "outcome"
      value_type  = "STRING"
      description = "exported, already_done, busy, dry_run or failed"
    }
    labels {
      key         = "error_class"
      value_type  = "STRING"
      description = "errorClass of a failed run"
    }
  }

  label_extractors = {
    outcome     = "EXTRACT(jsonPayload.outcome)"
    error_class = "EXTRACT(jsonPayload.errorClass)"
  }
}

# Run durations. Linear 15 s buckets up to 30 min: the 80 % threshold of the
# default 1800 s timeout (1440 s) falls on a bucket edge, and for any other
# timeout the percentile is off by at most one bucket (15 s).
resource "google_logging_metric" "duration" {
  count           = local.log_metrics
  name            = "${local.metric_prefix}_duration"
  description     = "durationMs of each \"export finished\" line of ${var.function_name}."
  filter          = local.finished_log
  value_extractor = "EXTRACT(jsonPayload.durationMs)"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "ms"
    display_name = "ledger-export run duration"

    labels {
      key         = "outcome"
      value_type  = "STRING"
      description = "exported, already_done, busy, dry_run or failed"
    }
  }

  label_extractors = {
    outcome = "EXTRACT(jsonPayload.outcome)"
  }

  bucket_options {
    linear_buckets {
      num_finite_buckets = 120
      width              = 15000
      offset             = 0
    }
  }
}

# 1. A run ended with outcome "failed" (each failed Scheduler attempt counts).
resource "google_monitoring_alert_policy" "export_failed" {
  count                 = local.alerts
  display_name          = "${var.function_name}: export failed"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.alert_channels

  conditions {
    display_name = "export finished with outcome=failed"

    condition_threshold {
      # A rejected request (errorClass validation, HTTP 400) is the caller's mistake, not a failed export.
      filter                  = "metric.type=\"${local.finished_type}\" AND resource.type=\"cloud_run_revision\" AND metric.label.outcome=\"failed\" AND NOT metric.label.error_class=\"validation\""
      comparison              = "COMPARISON_GT"
      threshold_value         = 0
      duration                = "0s"
      evaluation_missing_data = "EVALUATION_MISSING_DATA_INACTIVE"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.error_class"]
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "86400s"
  }

  documentation {
    subject   = "ledger-export failed for a batch date"
    mime_type = "text/markdown"
    content   = "The daily export logged `export finished` with `outcome=failed`. Cloud Scheduler retries a retryable failure (503) on its own; a permanent one (500: Drive folder missing, permission, quota) needs a person. Look at `errorClass` in the log line. Runbook: ${var.runbook_url}#alert-export-failed. ${local.runbook_tail}"
  }

  depends_on = [google_logging_metric.finished]
}

# 2. No successful export within health_window (26 h by default).
#
# A metric-absence condition cannot wait more than 23.5 h, which a daily job
# does not fit. An uptime check on GET /health would work in principle (private
# functions can be probed with service_agent_authentication OIDC), but with
# max instances 1 and concurrency 1 the probes compete with the export itself
# and answer 429 while it runs. So the alert reads the same summary line:
# a PromQL condition fires when no "exported" run was logged within the window.
# PromQL conditions may look back that far (docs.cloud.google.com/monitoring/alerts/using-promql).
#
# The query does not depend on whether a log-based counter writes zero-valued
# points when no entry matches: absent_over_time fires when the series has no
# point at all in the window, and sum(sum_over_time(...)) < 1 fires when it has
# points that add up to nothing (zeros only). The outer sum() adds the series
# of every revision and error_class, so that an old revision's zeros after a
# deploy cannot fire it while the new revision exports. Either way, no exported
# run within the window fires the alert, and one exported run clears it.
# Right after the first apply it fires until the first successful export.
resource "google_monitoring_alert_policy" "no_recent_success" {
  count                 = local.alerts
  display_name          = "${var.function_name}: no successful export in ${var.health_window}"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = local.alert_channels

  conditions {
    display_name = "no export finished with outcome=exported in ${var.health_window}"

    condition_prometheus_query_language {
      query               = "absent_over_time(${local.exported_series}) or sum(sum_over_time(${local.exported_series})) < 1"
      duration            = "0s"
      evaluation_interval = "300s"
      # The log-based metric's descriptor may lag its creation on the first
      # apply. Skipping the check cannot hide a typo here: absent_over_time of
      # a metric that never has data is always true, so the alert would fire.
      disable_metric_validation = true
    }
  }

  alert_strategy {
    auto_close = "604800s"
  }

  documentation {
    subject   = "ledger-export: no successful export in ${var.health_window}"
    mime_type = "text/markdown"
    content   = "No run of ${var.function_name} logged `export finished` with `outcome=exported` within ${var.health_window}. Check that the Cloud Scheduler job ${local.scheduler_job_name} is enabled and its last attempts (`gcloud scheduler jobs describe`), then GET /health. Runbook: ${var.runbook_url}#alert-no-successful-export. ${local.runbook_tail}"
  }

  depends_on = [google_logging_metric.finished]
}

# 3. A run took more than 80 % of the function timeout. The second condition
# reads Cloud Run's own request latency, so it also catches a run that hit the
# timeout and was cut off before it could log its summary line.
resource "google_monitoring_alert_policy" "near_timeout" {
  count                 = local.alerts
  display_name          = "${var.function_name}: run duration above ${floor(local.near_timeout * 100)}% of the timeout"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = local.alert_channels

  conditions {
    display_name = "export finished durationMs > ${floor(local.near_timeout * local.timeout_ms)} ms"

    condition_threshold {
      filter                  = "metric.type=\"${local.duration_type}\" AND resource.type=\"cloud_run_revision\""
      comparison              = "COMPARISON_GT"
      threshold_value         = local.near_timeout * local.timeout_ms
      duration                = "0s"
      evaluation_missing_data = "EVALUATION_MISSING_DATA_INACTIVE"

      aggregations {
        alignment_period     = "600s"
        per_series_aligner   = "ALIGN_PERCENTILE_99"
        cross_series_reducer = "REDUCE_MAX"
      }

      trigger {
        count = 1
      }
    }
  }

  conditions {
    display_name = "Cloud Run request latency > ${floor(local.near_timeout * local.timeout_ms)} ms"

    condition_threshold {
      filter                  = "metric.type=\"run.googleapis.com/request_latencies\" AND resource.type=\"cloud_run_revision\" AND resource.label.service_name=\"${var.function_name}\""
      comparison              = "COMPARISON_GT"
      threshold_value         = local.near_timeout * local.timeout_ms
      duration                = "0s"
      evaluation_missing_data = "EVALUATION_MISSING_DATA_INACTIVE"

      aggregations {
        alignment_period     = "600s"
        per_series_aligner   = "ALIGN_PERCENTILE_99"
        cross_series_reducer = "REDUCE_MAX"
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "86400s"
  }

  documentation {
    subject   = "ledger-export is nearing its timeout"
    mime_type = "text/markdown"
    content   = "A run of ${var.function_name} took more than ${floor(local.near_timeout * 100)}% of its ${var.timeout_seconds} s timeout. The batch is growing (raise memory/CPU, BATCH_SIZE or CHUNK_SIZE; the timeout cannot exceed Cloud Scheduler's 30-minute attempt deadline). Runbook: ${var.runbook_url}#alert-run-near-the-timeout. ${local.runbook_tail}"
  }

  depends_on = [google_logging_metric.duration]
}

# 4. Work that no run can finish without an operator: the gauge ledger_export.stuck (internal/telemetry), which
# every run and every GET /health records for each kind, zeros included: unclaimable (queued entries no claim can
# take), blocked (dates blocked by a permanent failure), abandoned (unfinished dates past the backfill window),
# failing (dates whose failure repeats deterministically). Any kind above 0 fires, one incident per kind; the
# query takes the newest point of the last 25 h, so the next run or GET /health after the fix records 0 and
# closes it.
resource "google_monitoring_alert_policy" "stuck_work" {
  count                 = local.alerts
  display_name          = "${var.function_name}: stuck work"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.alert_channels

  conditions {
    display_name = "ledger_export.stuck above 0, by kind"

    condition_prometheus_query_language {
      query               = local.stuck_query
      duration            = "0s"
      evaluation_interval = "300s"
      # The workload metric exists only once the function has recorded it.
      disable_metric_validation = true
    }
  }

  alert_strategy {
    auto_close = "604800s"
  }

  documentation {
    subject   = "ledger-export: stuck work"
    mime_type = "text/markdown"
    content   = "The gauge `ledger_export.stuck` of ${var.function_name} is above 0 for the incident's `kind`: work no run finishes by itself (`make health` names it). `unclaimable`: queued entries whose `createdAt` is missing or not a date; fix it in the app's data, the next run claims them. `blocked`: a date blocked by a permanent failure; fix the cause, then `make invoke DATE=D CLEAR_FAILURE=1`. `abandoned`: an unfinished date past BACKFILL_WINDOW; `make reexport DATE=D REASON=\"...\"`. `failing`: a date whose failure repeats the same way on every attempt; fix the data, then `make retry-failed DATE=D`. Runbook: ${var.runbook_url}#alert-stuck-work."
  }
}
