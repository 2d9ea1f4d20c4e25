package export

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func writeJSON(t testing.TB, tr Transcript) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, tr); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestJSONRoundTrip(t *testing.T) {
	for _, f := range fixtures() {
		t.Run(f.name, func(t *testing.T) {
			got, err := ReadJSON(bytes.NewReader(writeJSON(t, f.t)))
			if err != nil {
				t.Fatalf("ReadJSON: %v", err)
			}
			if !reflect.DeepEqual(got, f.t) {
				t.Errorf("round trip changed the transcript:\n got %s\nwant %s", mustJSON(got), mustJSON(f.t))
			}
		})
	}
}

// TestReadJSONErrors: each way a file can be wrong gets an error that says what is wrong.
func TestReadJSONErrors(t *testing.T) {
	good := string(writeJSON(t, fixtures()[0].t))
	replace := func(old, new string) string {
		if !strings.Contains(good, old) {
			t.Fatalf("fixture JSON lacks %q", old)
		}
		return strings.Replace(good, old, new, 1)
	}
	for _, tc := range []struct {
		name  string
		input string
		// is, when set, is the sentinel the error must wrap.
		is error
		// want are substrings of the message.
		want []string
		// step, when not 0, is the 1-based step a *StepError must name.
		step int
	}{
		{name: "empty file", input: "", is: ErrNotTranscript, want: []string{"not an oauthx transcript", "empty"}},
		{name: "garbage", input: "hello, world\n", is: ErrNotTranscript, want: []string{"not an oauthx transcript", "not JSON"}},
		{name: "HTML", input: "<!doctype html><p>404</p>", is: ErrNotTranscript, want: []string{"not JSON"}},
		{name: "truncated", input: good[:len(good)/2], is: ErrNotTranscript, want: []string{"truncated", "line "}},
		{name: "bad JSON inside", input: replace(`"flow": "authorization-code"`, `"flow": authorization-code`), is: ErrNotTranscript, want: []string{"invalid JSON at byte", "line 4"}},
		{name: "array", input: `[1,2]`, is: ErrNotTranscript, want: []string{"JSON array"}},
		{name: "other JSON", input: `{"name":"x"}`, is: ErrNotTranscript, want: []string{`no "format" member`}},
		{name: "other format", input: `{"format":"har","version":1}`, is: ErrNotTranscript, want: []string{`format is "har"`}},
		{name: "one step record", input: `{"flow":"pkce","index":0,"id":"discovery","status":"done"}`, is: ErrNotTranscript, want: []string{"single step record"}},
		{name: "JSON Lines of steps", input: `{"flow":"pkce","index":0,"id":"discovery","status":"done"}` + "\n" + `{"flow":"pkce","index":1,"id":"pkce","status":"done"}`, is: ErrNotTranscript, want: []string{"oauthx run --json"}},
		{name: "no version", input: `{"format":"oauthx-transcript","flow":"pkce","steps":[]}`, want: []string{"no format version"}},
		{name: "version not a number", input: replace(`"version": 1`, `"version": "one"`), want: []string{`version is "one"`}},
		{name: "version too new", input: replace(`"version": 1`, `"version": 3`),
			want: []string{"transcript format version 3 is newer than this oauthx understands (1); upgrade oauthx"}},
		{name: "version zero", input: replace(`"version": 1`, `"version": 0`), want: []string{"version 0 is not a valid version"}},
		{name: "no flow", input: replace(`"flow": "authorization-code"`, `"flow": ""`), want: []string{"names no flow"}},
		{name: "no steps", input: `{"format":"oauthx-transcript","version":1,"flow":"pkce"}`, want: []string{"has no steps"}},
		{name: "steps not a list", input: `{"format":"oauthx-transcript","version":1,"flow":"pkce","steps":{}}`, want: []string{`"steps"`, "want"}},
		{name: "created not a time", input: replace(`"created": "2026-11-23T09:00:00Z"`, `"created": "yesterday"`), want: []string{`"created"`}},
		{name: "step with unknown status", input: replace(`"status": "done"`, `"status": "finished"`), step: 1,
			want: []string{`step 1 ("discovery"): unknown status "finished"`}},
		{name: "step with a wrong type", input: replace(`"status": 200`, `"status": "200"`), step: 1,
			want: []string{`step 1 ("discovery"): exchanges.response.status: got a JSON string, want int`}},
		{name: "step without id", input: replace(`"id": "pkce"`, `"id": ""`), step: 2, want: []string{`step 2: no "id"`}},
		{name: "check with unknown outcome", input: replace(`"outcome": "pass"`, `"outcome": "ok"`), step: 1,
			want: []string{`check "issuer matches": unknown outcome "ok"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadJSON(strings.NewReader(tc.input))
			if err == nil {
				t.Fatal("ReadJSON succeeded")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q does not wrap %v", err, tc.is)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if tc.step != 0 {
				var se *StepError
				if !errors.As(err, &se) || se.Index+1 != tc.step {
					t.Errorf("error %q is not a StepError for step %d", err, tc.step)
				}
			}
		})
	}
}

func TestReadJSONVersionError(t *testing.T) {
	in := strings.Replace(string(writeJSON(t, fixtures()[0].t)), `"version": 1`, `"version": 7`, 1)
	_, err := ReadJSON(strings.NewReader(in))
	var ve *VersionError
	if !errors.As(err, &ve) || ve.Version != 7 || ve.Supported != Version {
		t.Fatalf("error = %v, want a *VersionError for 7", err)
	}
}

func TestReadJSONAcceptsBOMAndUnknownMembers(t *testing.T) {
	// Additive changes keep the version (docs/exports.md): a reader skips members it
	// does not know, in the transcript and in its steps.
	in := strings.Replace(string(writeJSON(t, fixtures()[0].t)), `"masked": true,`, `"masked": true, "generator": {"name": "oauthx 2"},`, 1)
	in = strings.Replace(in, `"title": "Discover the provider",`, `"title": "Discover the provider", "lesson": "none",`, 1)
	got, err := ReadJSON(strings.NewReader("\xef\xbb\xbf" + in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Steps) != 6 || !got.Masked {
		t.Errorf("read %d steps, masked=%v", len(got.Steps), got.Masked)
	}
}

func TestReadJSONTooLarge(t *testing.T) {
	r := io.MultiReader(strings.NewReader(`{"format":"oauthx-transcript","pad":"`), zeros{}, strings.NewReader(`"}`))
	_, err := ReadJSON(io.LimitReader(r, MaxSize+10))
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "64 MiB") {
		t.Errorf("error = %v, want ErrTooLarge naming the limit", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	return len(p), nil
}

func TestWriteJSONStampsFormatAndVersion(t *testing.T) {
	out := string(writeJSON(t, Transcript{Flow: "pkce", Steps: nil}))
	for _, want := range []string{`"format": "oauthx-transcript"`, `"version": 1`, `"steps": []`} {
		if !strings.Contains(out, want) {
			t.Errorf("WriteJSON output lacks %s:\n%s", want, out)
		}
	}
	if _, err := ReadJSON(strings.NewReader(out)); err != nil {
		t.Errorf("a transcript with no steps does not read back: %v", err)
	}
}

// FuzzReadJSON: ReadJSON never panics, and whatever it accepts writes back, reads back
// the same, and renders in every format.
func FuzzReadJSON(f *testing.F) {
	// Whole fixtures are large, which makes minimising slow: seed with the smallest
	// and with hand-made corner cases.
	f.Add(writeJSON(f, fixtures()[2].t))
	f.Add([]byte(`{"format":"oauthx-transcript","version":1,"flow":"pkce","steps":[]}`))
	f.Add([]byte(`{"format":"oauthx-transcript","version":1,"flow":"x","masked":false,"steps":[{"id":"a","status":"done","exchanges":[{"request":{"method":"POST","url":"http://h/t?a=1#f","header":{"Content-Type":["application/x-www-form-urlencoded"],"Authorization":["Basic x"]},"body":"a=%ZZ&&=&b"},"response":{"status":302,"header":{"Location":["/x"],"Set-Cookie":["a=b; Expires=Wed, 21 Oct 2015 07:28:00 GMT"]},"body":"\u0000\u00ff"}}]}]}`))
	f.Add([]byte(`{"format":"oauthx-transcript","version":2}`))
	f.Add([]byte(`{"format":"oauthx-transcript","version":1,"flow":"p","steps":[{"id":"a","status":"done","title":"x\n; rm -rf ~"}]}`))
	f.Add([]byte(`[{"id":1}]`))
	f.Add([]byte(`{"format":`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		first := writeJSON(t, tr)
		again, err := ReadJSON(bytes.NewReader(first))
		if err != nil {
			t.Fatalf("a transcript ReadJSON accepted does not read back after WriteJSON: %v\n%s", err, first)
		}
		if second := writeJSON(t, again); !bytes.Equal(first, second) {
			t.Fatalf("write, read, write is not stable:\n%s\n---\n%s", first, second)
		}
		for _, format := range Formats() {
			if err := WriteFormat(io.Discard, format, tr); err != nil {
				t.Errorf("WriteFormat(%s): %v", format, err)
			}
		}
	})
}
