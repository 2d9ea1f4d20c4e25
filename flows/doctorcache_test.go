package flows

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/oauthx/oauthx/flows/doctor"
)

// TestDoctorCache: the cached analysis is the analysis, each distinct document
// (or issuer, URL, Content-Type) gets its own, and the cache stays bounded.
func TestDoctorCache(t *testing.T) {
	doc := func(iss, extra string) []byte {
		return []byte(`{"issuer":"` + iss + `","authorization_endpoint":"` + iss + `/authorize","token_endpoint":"` + iss +
			`/token","jwks_uri":"` + iss + `/jwks","response_types_supported":["code"],"subject_types_supported":["public"],` +
			`"id_token_signing_alg_values_supported":["RS256"]` + extra + `}`)
	}
	in := doctor.Input{Issuer: "https://idp.example", MetadataURL: "https://idp.example/.well-known/openid-configuration",
		Metadata: doc("https://idp.example", ""), ContentType: "application/json"}
	want := doctor.Analyze(in)
	if got := analyzeMetadata(in); !reflect.DeepEqual(got, want) {
		t.Fatalf("first analysis differs from doctor.Analyze")
	}
	if got := analyzeMetadata(in); !reflect.DeepEqual(got, want) {
		t.Fatalf("cached analysis differs from doctor.Analyze")
	}
	// A document with PKCE advertised must not get the cached findings of one without.
	other := in
	other.Metadata = doc("https://idp.example", `,"code_challenge_methods_supported":["S256"]`)
	if got, w := analyzeMetadata(other), doctor.Analyze(other); !reflect.DeepEqual(got, w) || reflect.DeepEqual(got, want) {
		t.Error("a different document got the findings of another")
	}
	html := in
	html.ContentType = "text/html"
	if got, w := analyzeMetadata(html), doctor.Analyze(html); !reflect.DeepEqual(got, w) {
		t.Error("another Content-Type got the findings of another")
	}
	for i := range 3 * doctorCacheSize {
		iss := fmt.Sprintf("https://idp%d.example", i)
		analyzeMetadata(doctor.Input{Issuer: iss, MetadataURL: iss + "/.well-known/openid-configuration", Metadata: doc(iss, "")})
	}
	doctorCache.Lock()
	n := len(doctorCache.m)
	doctorCache.Unlock()
	if n > doctorCacheSize {
		t.Errorf("the cache holds %d analyses, more than %d", n, doctorCacheSize)
	}
}
