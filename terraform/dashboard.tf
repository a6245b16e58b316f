# A Cloud Monitoring dashboard of the runs (output dashboard_url). Two kinds of metric feed it:
#   - the log-based metrics of monitoring.tf, from the "export finished" line every run logs:
#     logging.googleapis.com/user/<function>_finished (runs, by outcome) and _duration (durationMs);
#   - the function's own OpenTelemetry metrics (internal/telemetry, TELEMETRY=gcp, the default on Cloud Run):
#     workload.googleapis.com/ledger_export.* (entries, bytes, stuck work) and ledger_export.notices_failed.
# Counters of the OpenTelemetry exporter are CUMULATIVE, so they are aligned with ALIGN_DELTA; the log-based
# metrics are DELTA, aligned with ALIGN_SUM; gauges with ALIGN_MAX.

locals {
  day = "86400s"
  workload = {
    exported = "workload.googleapis.com/ledger_export.entries.exported"
    failed   = "workload.googleapis.com/ledger_export.entries.failed"
    bytes    = "workload.googleapis.com/ledger_export.bytes.uploaded"
    stuck    = "workload.googleapis.com/ledger_export.stuck"
    notices  = "workload.googleapis.com/ledger_export.notices_failed"
  }
  # One time series query per line of a chart.
  series = {
    runs = {
      filter = "metric.type=\"${local.finished_type}\" resource.type=\"cloud_run_revision\" resource.label.\"service_name\"=\"${var.function_name}\""
      aggregation = {
        alignmentPeriod    = local.day, perSeriesAligner = "ALIGN_SUM",
        crossSeriesReducer = "REDUCE_SUM", groupByFields = ["metric.label.\"outcome\""]
      }
    }
    duration = {
      filter = "metric.type=\"${local.duration_type}\" resource.type=\"cloud_run_revision\" resource.label.\"service_name\"=\"${var.function_name}\""
      aggregation = {
        alignmentPeriod    = "3600s", perSeriesAligner = "ALIGN_PERCENTILE_99",
        crossSeriesReducer = "REDUCE_MAX", groupByFields = ["metric.label.\"outcome\""]
      }
    }
    exported = {
      filter      = "metric.type=\"${local.workload.exported}\""
      aggregation = { alignmentPeriod = local.day, perSeriesAligner = "ALIGN_DELTA", crossSeriesReducer = "REDUCE_SUM" }
    }
    failed = {
      filter      = "metric.type=\"${local.workload.failed}\""
      aggregation = { alignmentPeriod = local.day, perSeriesAligner = "ALIGN_DELTA", crossSeriesReducer = "REDUCE_SUM" }
    }
    bytes = {
      filter      = "metric.type=\"${local.workload.bytes}\""
      aggregation = { alignmentPeriod = local.day, perSeriesAligner = "ALIGN_DELTA", crossSeriesReducer = "REDUCE_SUM" }
    }
    stuck = {
      filter = "metric.type=\"${local.workload.stuck}\""
      aggregation = {
        alignmentPeriod    = "3600s", perSeriesAligner = "ALIGN_MAX",
        crossSeriesReducer = "REDUCE_MAX", groupByFields = ["metric.label.\"kind\""]
      }
    }
    notices = {
      filter = "metric.type=\"${local.workload.notices}\""
      aggregation = {
        alignmentPeriod    = local.day, perSeriesAligner = "ALIGN_DELTA",
        crossSeriesReducer = "REDUCE_SUM", groupByFields = ["metric.label.\"kind\""]
      }
    }
  }
  chart = {
    for k, v in local.series : k => {
      timeSeriesQuery = { timeSeriesFilter = v }
    }
  }
  # Six tiles, two per row, 24 columns wide.
  tiles = [
    {
      title = "Runs by outcome, per day"
      xyChart = {
        dataSets = [merge(local.chart.runs, { plotType = "STACKED_BAR", legendTemplate = "$${metric.labels.outcome}" })]
        yAxis    = { label = "runs", scale = "LINEAR" }
      }
    },
    {
      title = "Run duration (p99 per hour) against the ${var.timeout_seconds} s timeout"
      xyChart = {
        dataSets = [merge(local.chart.duration, { plotType = "LINE", legendTemplate = "$${metric.labels.outcome}" })]
        thresholds = [
          { label = "timeout", value = local.timeout_ms, color = "RED", direction = "ABOVE" },
          { label = "alert: ${floor(local.near_timeout * 100)} % of the timeout", value = local.near_timeout * local.timeout_ms, color = "YELLOW", direction = "ABOVE" },
        ]
        yAxis = { label = "ms", scale = "LINEAR" }
      }
    },
    {
      title = "Entries exported and failed, per day"
      xyChart = {
        dataSets = [
          merge(local.chart.exported, { plotType = "STACKED_BAR", legendTemplate = "exported" }),
          merge(local.chart.failed, { plotType = "STACKED_BAR", legendTemplate = "failed" }),
        ]
        yAxis = { label = "entries", scale = "LINEAR" }
      }
    },
    {
      title = "Bytes uploaded to Drive, per day"
      xyChart = {
        dataSets = [merge(local.chart.bytes, { plotType = "STACKED_BAR", legendTemplate = "bytes" })]
        yAxis    = { label = "bytes", scale = "LINEAR" }
      }
    },
    {
      title = "Stuck work, by kind (alert: any above 0)"
      xyChart = {
        dataSets   = [merge(local.chart.stuck, { plotType = "LINE", legendTemplate = "$${metric.labels.kind}" })]
        thresholds = [{ label = "stuck", value = 0, color = "RED", direction = "ABOVE" }]
        yAxis      = { label = "entries or dates", scale = "LINEAR" }
      }
    },
    {
      title = "Delivery notices that failed, per day"
      xyChart = {
        dataSets = [merge(local.chart.notices, { plotType = "STACKED_BAR", legendTemplate = "$${metric.labels.kind}" })]
        yAxis    = { label = "notices", scale = "LINEAR" }
      }
    },
  ]
  dashboard = {
    displayName = "${var.function_name}: daily export"
    mosaicLayout = {
      columns = 48
      tiles = [
        for i, w in local.tiles : {
          xPos = (i % 2) * 24, yPos = floor(i / 2) * 16, width = 24, height = 16, widget = w
        }
      ]
    }
  }
}

resource "google_monitoring_dashboard" "runs" {
  count          = var.enable_dashboard ? 1 : 0
  dashboard_json = jsonencode(local.dashboard)

  depends_on = [google_logging_metric.finished, google_logging_metric.duration]
}
