package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/export"
	"github.com/oauthx/oauthx/tui"
)

// exportFormat checks `--export FILE` and `--export-format NAME` before a flow runs,
// so a typo does not cost a login, and returns the format to write ("" when no export
// was asked for). stdoutFlag names the flag that already writes to stdout, if any.
func exportFormat(file, format, stdoutFlag string) (string, error) {
	formats := strings.Join(export.Formats(), ", ")
	switch {
	case file == "" && format != "":
		return "", fmt.Errorf("--export-format goes with --export FILE")
	case file == "":
		return "", nil
	case file == "-" && stdoutFlag != "":
		return "", fmt.Errorf("--export - and %s both write to stdout: export to a file, or drop %s", stdoutFlag, stdoutFlag)
	case file == "-" && format == "":
		return "", fmt.Errorf("--export - writes to stdout: say which format with --export-format (%s)", formats)
	}
	if format != "" {
		name, ok := export.LookupFormat(format)
		if !ok {
			return "", fmt.Errorf("--export-format %q: unknown format (%s)", format, formats)
		}
		format = name
	} else {
		name, ok := export.FormatForFile(file)
		if !ok {
			return "", fmt.Errorf("--export %s: cannot tell the format from the file name: use %s, %s, %s or %s, or --export-format (%s)",
				file, export.Extension(export.FormatMarkdown), export.Extension(export.FormatJSON),
				export.Extension(export.FormatCurl), export.Extension(export.FormatHAR), formats)
		}
		format = name
	}
	if file != "-" {
		dir := filepath.Dir(file)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return "", fmt.Errorf("--export %s: the directory %s does not exist", file, dir)
		}
		if fi, err := os.Stat(file); err == nil && fi.IsDir() {
			return "", fmt.Errorf("--export %s is a directory", file)
		}
	}
	return format, nil
}

// providerLabel names the provider in a transcript: its name and where it is.
func providerLabel(p flows.Provider) string {
	where := firstNonEmpty(p.Issuer, p.AuthorizationEndpoint, p.TokenEndpoint)
	switch {
	case p.Name == "":
		return where
	case where == "":
		return p.Name
	}
	return p.Name + " (" + where + ")"
}

// writeExport writes the transcript of a flow that ran (finished, failed or
// cancelled) to file ("-" for stdout) in the given format, masked unless reveal, and
// says on stderr where it went (and warns when secrets are in it).
func writeExport(file, format string, flow flows.Flow, provider string, reveal bool, stdout, stderr io.Writer) error {
	t := export.New(string(flow.Kind()), provider, flow.Records(), time.Now(), reveal)
	return writeTranscript(file, format, t, stdout, stderr)
}

// writeTranscript writes t to file ("-" for stdout) in the given format and says on
// stderr where it went, warning when t holds secrets.
func writeTranscript(file, format string, t export.Transcript, stdout, stderr io.Writer) error {
	if !t.Masked {
		fmt.Fprintf(stderr, "WARNING: --reveal-secrets: the transcript in %s holds client secrets, passwords and refresh tokens in clear; do not share it.\n", orStdout(file))
	}
	if file == "-" {
		return export.WriteFormat(stdout, format, t)
	}
	if err := saveTranscript(file, format, t); err != nil {
		return err
	}
	masked := "secrets masked"
	if !t.Masked {
		masked = "SECRETS REVEALED"
	}
	fmt.Fprintf(stderr, "Transcript written to %s (%s, %d steps, %s).\n", file, format, len(t.Steps), masked)
	return nil
}

// saveTranscript writes t to the file path in the given format, whole or not at all:
// it is written beside its destination and renamed. A curl script is executable; a
// transcript with secrets revealed is readable by its owner only. The TUI's export
// key can use it through its wiring.
func saveTranscript(path, format string, t export.Transcript) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename there is nothing left to remove
	mode := os.FileMode(0o644)
	if name, _ := export.LookupFormat(format); name == export.FormatCurl {
		mode = 0o755
	}
	if !t.Masked {
		mode &= 0o700
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := export.WriteFormat(tmp, format, t); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// exportFileName is the file an export is saved to when the person names none:
// oauthx-pkce-20261123-090000.md, in the local time of created.
func exportFileName(flow, format string, created time.Time) string {
	return "oauthx-" + flow + "-" + created.Format("20060102-150405") + export.Extension(format)
}

// flagIf returns name when on is set, else "".
func flagIf(on bool, name string) string {
	if on {
		return name
	}
	return ""
}

func orStdout(file string) string {
	if file == "-" {
		return "stdout"
	}
	return file
}

// tuiExport is the explorer's `w` key: it writes the flow on screen to a file,
// masked, whole or not at all, and returns the absolute path written. A file that
// exists is replaced only when the request says so (the explorer asks first).
// transcript builds the transcript of the request: the live explorer stamps it now,
// a replay keeps the recorded time and provider.
func tuiExport(transcript func(tui.ExportRequest) export.Transcript) func(tui.ExportRequest) (string, error) {
	return func(req tui.ExportRequest) (string, error) {
		format, ok := export.LookupFormat(req.Format)
		if !ok {
			return "", fmt.Errorf("unknown export format %q (%s)", req.Format, strings.Join(export.Formats(), ", "))
		}
		path, err := filepath.Abs(req.Path)
		if err != nil {
			return "", err
		}
		dir := filepath.Dir(path)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return "", fmt.Errorf("cannot write %s: the directory %s does not exist", path, dir)
		}
		if fi, err := os.Stat(path); err == nil {
			if fi.IsDir() {
				return "", fmt.Errorf("%s is a directory: give a file name", path)
			}
			if !req.Overwrite {
				return "", fmt.Errorf("%s: %w", path, tui.ErrExportExists)
			}
		}
		if err := saveTranscript(path, format, transcript(req)); err != nil {
			if errors.Is(err, os.ErrPermission) {
				return "", fmt.Errorf("cannot write %s: permission denied in %s", path, dir)
			}
			return "", fmt.Errorf("cannot write %s: %w", path, err)
		}
		return path, nil
	}
}

// liveTranscript is the transcript of a flow run in the explorer: made now, masked.
func liveTranscript(req tui.ExportRequest) export.Transcript {
	return export.New(string(req.Kind), req.Provider, req.Steps, time.Now(), false)
}
