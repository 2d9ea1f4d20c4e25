package doctor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Metadata is a provider metadata document (OpenID Connect Discovery 1.0 §3,
// RFC 8414 §2) as the doctor reads it: every member it checks, and which members were
// present at all. Members of the wrong type are left zero and listed in
// [Metadata.Problems].
type Metadata struct {
	Issuer                             string
	AuthorizationEndpoint              string
	TokenEndpoint                      string
	UserinfoEndpoint                   string
	JWKSURI                            string
	RegistrationEndpoint               string
	IntrospectionEndpoint              string
	RevocationEndpoint                 string
	DeviceAuthorizationEndpoint        string
	EndSessionEndpoint                 string
	PushedAuthorizationRequestEndpoint string

	ScopesSupported                            []string
	ResponseTypesSupported                     []string
	ResponseModesSupported                     []string
	GrantTypesSupported                        []string
	SubjectTypesSupported                      []string
	TokenEndpointAuthMethodsSupported          []string
	TokenEndpointAuthSigningAlgsSupported      []string
	CodeChallengeMethodsSupported              []string
	IDTokenSigningAlgValuesSupported           []string
	UserinfoSigningAlgValuesSupported          []string
	RequestObjectSigningAlgValuesSupported     []string
	ClaimsSupported                            []string
	AuthorizationResponseIssParameterSupported bool
	RequirePushedAuthorizationRequests         bool

	// Present lists the members the document has, whatever their type.
	Present map[string]bool
	// Problems are members whose value has the wrong type (they are treated as absent).
	Problems []MemberProblem
}

// MemberProblem is a metadata member with a value of the wrong JSON type.
type MemberProblem struct {
	Member   string `json:"member"`
	Expected string `json:"expected"`
	Got      string `json:"got"`
}

func (p MemberProblem) String() string {
	return fmt.Sprintf("%s is %s, expected %s", p.Member, p.Got, p.Expected)
}

// Has reports whether the document has the member (with a usable value).
func (m *Metadata) Has(member string) bool {
	if !m.Present[member] {
		return false
	}
	for _, p := range m.Problems {
		if p.Member == member {
			return false
		}
	}
	return true
}

// ErrNotJSON is returned (wrapped) by [ParseMetadata] when the document is not a JSON
// object at all.
var ErrNotJSON = errors.New("not a JSON object")

// maxMembers bounds the members examined, against hostile documents.
const maxMembers = 10000

// ParseMetadata parses a metadata document. It fails only when the document is not a
// JSON object; members of the wrong type are reported in Problems, so the doctor can
// say exactly what is wrong and still check the rest.
func ParseMetadata(body []byte) (*Metadata, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, fmt.Errorf("%w: the document is empty", ErrNotJSON)
	}
	if body[0] != '{' {
		return nil, fmt.Errorf("%w: it starts with %s", ErrNotJSON, quoteStart(body))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%w: invalid JSON at byte %d: %v", ErrNotJSON, se.Offset, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrNotJSON, err)
	}
	if len(raw) > maxMembers {
		return nil, fmt.Errorf("%w: %d members is not a metadata document", ErrNotJSON, len(raw))
	}
	m := &Metadata{Present: map[string]bool{}}
	strs := map[string]*string{
		"issuer":                                &m.Issuer,
		"authorization_endpoint":                &m.AuthorizationEndpoint,
		"token_endpoint":                        &m.TokenEndpoint,
		"userinfo_endpoint":                     &m.UserinfoEndpoint,
		"jwks_uri":                              &m.JWKSURI,
		"registration_endpoint":                 &m.RegistrationEndpoint,
		"introspection_endpoint":                &m.IntrospectionEndpoint,
		"revocation_endpoint":                   &m.RevocationEndpoint,
		"device_authorization_endpoint":         &m.DeviceAuthorizationEndpoint,
		"end_session_endpoint":                  &m.EndSessionEndpoint,
		"pushed_authorization_request_endpoint": &m.PushedAuthorizationRequestEndpoint,
	}
	lists := map[string]*[]string{
		"scopes_supported":                                 &m.ScopesSupported,
		"response_types_supported":                         &m.ResponseTypesSupported,
		"response_modes_supported":                         &m.ResponseModesSupported,
		"grant_types_supported":                            &m.GrantTypesSupported,
		"subject_types_supported":                          &m.SubjectTypesSupported,
		"token_endpoint_auth_methods_supported":            &m.TokenEndpointAuthMethodsSupported,
		"token_endpoint_auth_signing_alg_values_supported": &m.TokenEndpointAuthSigningAlgsSupported,
		"code_challenge_methods_supported":                 &m.CodeChallengeMethodsSupported,
		"id_token_signing_alg_values_supported":            &m.IDTokenSigningAlgValuesSupported,
		"userinfo_signing_alg_values_supported":            &m.UserinfoSigningAlgValuesSupported,
		"request_object_signing_alg_values_supported":      &m.RequestObjectSigningAlgValuesSupported,
		"claims_supported":                                 &m.ClaimsSupported,
	}
	bools := map[string]*bool{
		"authorization_response_iss_parameter_supported": &m.AuthorizationResponseIssParameterSupported,
		"require_pushed_authorization_requests":          &m.RequirePushedAuthorizationRequests,
	}
	for name, v := range raw {
		m.Present[name] = true
		switch {
		case strs[name] != nil:
			if err := json.Unmarshal(v, strs[name]); err != nil {
				m.Problems = append(m.Problems, MemberProblem{name, "a string", jsonKind(v)})
			}
		case lists[name] != nil:
			var out []string
			if err := json.Unmarshal(v, &out); err != nil {
				m.Problems = append(m.Problems, MemberProblem{name, "an array of strings", jsonKind(v)})
				continue
			}
			*lists[name] = out
		case bools[name] != nil:
			if err := json.Unmarshal(v, bools[name]); err != nil {
				m.Problems = append(m.Problems, MemberProblem{name, "true or false", jsonKind(v)})
			}
		}
	}
	sort.Slice(m.Problems, func(i, j int) bool { return m.Problems[i].Member < m.Problems[j].Member })
	return m, nil
}

// jsonKind names the JSON type of a raw value, for messages.
func jsonKind(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "empty"
	}
	switch v[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		var arr []json.RawMessage
		if json.Unmarshal(v, &arr) == nil {
			for _, e := range arr {
				if k := jsonKind(e); k != "a string" {
					return "an array containing " + k
				}
			}
		}
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// quoteStart shows the start of a body in a message.
func quoteStart(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "nothing"
	}
	s := string(b)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	const max = 60
	if len(s) > max {
		s = s[:max] + "…"
	}
	return fmt.Sprintf("%q", s)
}
