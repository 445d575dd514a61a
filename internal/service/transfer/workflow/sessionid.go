package workflow

// wireSessionID is the SessionId an execution reports for a data-plane
// session id: the model allows 3 to 32 characters of [A-Za-z0-9_-], so
// other characters are dropped and a longer id (an SSH session id is 64 hex
// digits) keeps its first 32; what is left shorter than 3 is no id.
func wireSessionID(id string) string {
	out := make([]byte, 0, 32)
	for i := 0; i < len(id) && len(out) < 32; i++ {
		c := id[i]
		if c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			out = append(out, c)
		}
	}
	if len(out) < 3 {
		return ""
	}
	return string(out)
}
