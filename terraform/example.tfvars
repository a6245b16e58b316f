# Copy to terraform.tfvars (git-ignored) and fill in your values:
#   cp terraform/example.tfvars terraform/terraform.tfvars
# Nothing secret goes here: the MongoDB URI is added to Secret Manager with gcloud.

project_id = "my-ledger-project"
region     = "asia-southeast1"

# Where the data is.
mongodb_database = "ledger"
drive_folder_id  = "1AbCdEfGhIjKlMnOpQrStUvWxYz012345"
# drive_shared_drive_id     = "0AbCdEfGhIjKlMnOpQ"
# drive_impersonate_subject = "exports@example.co.th"   # domain-wide delegation instead of sharing the drive

# When it runs (Cloud Scheduler and the function share the time zone).
schedule    = "0 18 * * *"
time_zone   = "Asia/Bangkok"
cutoff_time = "18:00"

# Scheduler retries: retry_count counts retries after the scheduled attempt, so 4 retries make 5 attempts in
# all, starting at about +0, +5, +15, +35 and +75 minutes when each fails at once (terraform output
# scheduler_attempt_start_minutes recomputes them; make tf-static checks this comment against the values).
retry_count               = 4
retry_min_backoff_seconds = 300
retry_max_backoff_seconds = 2400
retry_max_doublings       = 3

# Function size. The lease must outlive the timeout.
timeout_seconds                  = 1800
available_memory                 = "512Mi"
max_instance_count               = 1
max_instance_request_concurrency = 1
lease_duration                   = "35m"

# Firestore: the project's (default) database, or create a named one.
firestore_database        = "(default)"
create_firestore_database = false

# Who may run it by hand (make invoke / make status).
operator_invoker_members = ["group:ledger-ops@example.co.th"]

# Alerts go to existing channels and/or a new email channel.
alert_email = "ledger-ops@example.co.th"
# notification_channel_ids = ["projects/my-ledger-project/notificationChannels/1234567890"]
