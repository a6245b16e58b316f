// Package function is the Cloud Function's front door. It registers the HTTP target ExportDaily, reads Cloud
// Scheduler's call, wires the real clients to internal/export, and turns the result into a status code. All logic
// lives in internal/.
//
//	POST /                 run (or finish) the export: body {"date":"YYYY-MM-DD","dryRun":false}, all optional
//	GET  /?date=YYYY-MM-DD the state of a date, or of the latest date without the parameter
//	GET  /health           200 when an export succeeded within HEALTH_WINDOW, else 503
//	GET  /doctor           the preflight (make doctor): one line per dependency check, with its fix; ?notify=1 sends a test notice
package function

import (
	"os"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"
)

func init() {
	functions.HTTP("ExportDaily", New(os.Getenv, Options{}).ServeHTTP)
}
