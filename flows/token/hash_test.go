package token

import "testing"

// The vectors are the examples of OpenID Connect Core 1.0, Appendix A.3 and A.4
// (RS256, so SHA-256).
func TestHashClaimSpecVectors(t *testing.T) {
	tests := []struct {
		name, alg, value, want string
	}{
		{"at_hash of the A.3 access token", "RS256", "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "77QmUPtjPfzWtF2AnpK9RQ"},
		{"c_hash of the A.4 code", "RS256", "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk", "LDktKdoQak3Pk0cnXxCltA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := HashClaim(tt.alg, tt.value)
			if err != nil || got != tt.want {
				t.Fatalf("HashClaim(%s, %q) = %q, %v; want %q", tt.alg, tt.value, got, err, tt.want)
			}
		})
	}
}
