package api

import (
	"strconv"

	"github.com/ersatz-dev/ersatz/internal/awserr"
)

func bindError(name, value, want string) error {
	return awserr.Serialization("Value '%s' bound to '%s' is not a valid %s", value, name, want)
}

// ParseInt32 parses a bound integer member.
func ParseInt32(name, v string) (int32, error) {
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, bindError(name, v, "integer")
	}
	return int32(n), nil
}

// ParseInt64 parses a bound long member.
func ParseInt64(name, v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, bindError(name, v, "long")
	}
	return n, nil
}

// ParseFloat64 parses a bound double member.
func ParseFloat64(name, v string) (float64, error) {
	n, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, bindError(name, v, "number")
	}
	return n, nil
}

// ParseBool parses a bound boolean member.
func ParseBool(name, v string) (bool, error) {
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, bindError(name, v, "boolean")
}
