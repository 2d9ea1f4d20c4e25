package httprec

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRecorderCapturesEachHop(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/start":
			http.Redirect(w, r, "/end", http.StatusFound)
		case "/end":
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"got":"`+string(body)+`"}`)
		}
	}))
	defer srv.Close()

	rec := &Recorder{}
	c := rec.Client(nil)
	resp, err := c.Get(srv.URL + "/start")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	resp, err = c.Post(srv.URL+"/end", "application/x-www-form-urlencoded", strings.NewReader("a=1"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != `{"got":"a=1"}` {
		t.Fatalf("the server did not get the request body, or the caller lost the response: %s", body)
	}

	ex := rec.Take()
	if len(ex) != 3 {
		t.Fatalf("recorded %d exchanges, want 3 (redirect hop, its target, the POST)", len(ex))
	}
	if ex[0].Response.Status != http.StatusFound || !strings.HasSuffix(ex[1].Request.URL, "/end") {
		t.Errorf("redirect hop not recorded in order: %+v", ex[:2])
	}
	if ex[2].Request.Body != "a=1" || ex[2].Response.Body != `{"got":"a=1"}` {
		t.Errorf("bodies not recorded: %+v", ex[2])
	}
	if len(rec.Take()) != 0 {
		t.Error("Take did not forget what it returned")
	}
}

func TestRecorderBoundsTheBody(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("x", 2048))
	}))
	defer srv.Close()
	rec := &Recorder{MaxBody: 1024}
	_, err := rec.Client(nil).Get(srv.URL)
	if !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("err = %v, want ErrBodyTooLarge", err)
	}
	ex := rec.Take()
	if len(ex) != 1 || !ex[0].Response.Truncated || len(ex[0].Response.Body) != 1024 || ex[0].Error == "" {
		t.Fatalf("oversized response not recorded as truncated with an error: %+v", ex)
	}
}

func TestRecorderRecordsTransportErrors(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // a closed port
	rec := &Recorder{}
	_, err := rec.Client(&http.Client{Timeout: 5 * time.Second}).Get(addr)
	if err == nil {
		t.Fatal("no error from a closed port")
	}
	ex := rec.Take()
	if len(ex) != 1 || ex[0].Response != nil || !strings.Contains(ex[0].Error, "cannot connect") {
		t.Fatalf("closed port not recorded with a clear error: %+v", ex)
	}
}
