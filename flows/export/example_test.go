package export_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/oauthx/oauthx/flows/export"
	"github.com/oauthx/oauthx/flows/record"
)

// A transcript is built from a flow's records; the secrets are masked unless reveal is
// set, and every format says so.
func ExampleNew() {
	steps := []record.Step{{
		ID: "token", Title: "Get a token as the client", Status: record.StatusDone,
		Request: &record.Request{Method: "POST", URL: "http://127.0.0.1:9443/token", Params: []record.Param{
			{Name: "grant_type", Value: "client_credentials"},
			{Name: "client_secret", Value: "machine-secret"},
		}},
	}}
	t := export.New("client-credentials", "bundled IdP", steps, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), false)
	fmt.Println(t.Masked, t.Steps[0].Request.Get("client_secret"))
	fmt.Println(steps[0].Request.Get("client_secret")) // the records themselves are not changed
	// Output:
	// true ••••••
	// machine-secret
}

// ReadJSON says why it refuses a file.
func ExampleReadJSON() {
	_, err := export.ReadJSON(strings.NewReader(`{"format": "oauthx-transcript", "version": 3}`))
	fmt.Println(err)
	// Output:
	// transcript format version 3 is newer than this oauthx understands (1); upgrade oauthx
}

// WriteFormat writes any of the formats; FormatForFile picks one from a file name.
func ExampleWriteFormat() {
	format, _ := export.FormatForFile("flow.har")
	t := export.New("client-credentials", "bundled IdP", nil, time.Time{}, false)
	if err := export.WriteFormat(os.Stdout, "json", t); err != nil {
		fmt.Println(err)
	}
	fmt.Println(format, export.Extension(format))
	// Output:
	// {
	//   "format": "oauthx-transcript",
	//   "version": 1,
	//   "flow": "client-credentials",
	//   "provider": "bundled IdP",
	//   "created": "0001-01-01T00:00:00Z",
	//   "masked": true,
	//   "steps": []
	// }
	// har .har
}
