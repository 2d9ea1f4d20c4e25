package provider

import (
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/oauthx/oauthx/flows"
)

// FlowQuirks is the engine's side of q ([flows.Quirks]): the same switches, with
// provider naming the provider in the notes the engine writes ("quirk applied
// (GitHub, …)"). AccessTokenClientIDClaim has no engine counterpart: the engine
// does not validate access tokens.
func (q Quirks) FlowQuirks(provider string) flows.Quirks {
	fq := flows.Quirks{
		Provider:                  provider,
		TolerateStringExpiresIn:   q.TolerateStringExpiresIn,
		ErrorsWithStatus200:       q.ErrorsWithStatus200,
		ScopeSeparator:            q.ScopeSeparator,
		PKCESupportedUnadvertised: q.PKCESupportedUnadvertised,
		IssuerTemplate:            q.IssuerTemplate,
		IssuerAliases:             slices.Clone(q.IssuerAliases),
		NoDiscovery:               q.NoDiscovery,
	}
	if h := q.TokenHeaders(); len(h) > 0 {
		fq.TokenHeaders = maps.Clone(h)
	}
	return fq
}

// PrivateKey reads the private_key_jwt key from PrivateKeyFile ("~/" is the home
// directory); nil without one. Errors name the profile and the field.
func (r Resolved) PrivateKey() ([]byte, error) {
	if r.PrivateKeyFile == "" {
		return nil, nil
	}
	path, err := expandHome(r.PrivateKeyFile)
	if err == nil {
		var b []byte
		if b, err = os.ReadFile(path); err == nil {
			if _, perr := flows.ParseClientKey(b); perr != nil {
				return nil, &Error{File: FileName, Profile: r.Name, Field: "private_key_file", Problem: fmt.Sprintf("%s: %v", r.PrivateKeyFile, perr)}
			}
			return b, nil
		}
	}
	return nil, &Error{File: FileName, Profile: r.Name, Field: "private_key_file", Problem: err.Error()}
}
