package mockidp

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// This is mockidp's own PKCE code (RFC 7636). It must not be shared with the
// client side: the mock is the independent oracle.

// validVerifier reports whether v is a code_verifier of RFC 7636 §4.1:
// 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~':
		default:
			return false
		}
	}
	return true
}

// s256Challenge is BASE64URL-ENCODE(SHA256(ASCII(code_verifier))), RFC 7636 §4.2.
func s256Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// validChallenge checks the form of a code_challenge (RFC 7636 §4.2): an S256
// challenge is 43 base64url characters (32 bytes); a plain one is a verifier.
func validChallenge(method, c string) bool {
	if method == "S256" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		return err == nil && len(b) == sha256.Size
	}
	return validVerifier(c)
}

// verifyPKCE is the server check of RFC 7636 §4.6.
func verifyPKCE(method, challenge, verifier string) bool {
	if !validVerifier(verifier) {
		return false
	}
	got := verifier
	if method == "S256" {
		got = s256Challenge(verifier)
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}
