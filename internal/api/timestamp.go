package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"
)

// EpochSeconds is a timestamp sent as a JSON number of seconds since the Unix
// epoch, with up to millisecond precision (the JSON protocols' default).
type EpochSeconds struct{ time.Time }

// MarshalJSON writes the time as seconds, with milliseconds when there are any.
func (t EpochSeconds) MarshalJSON() ([]byte, error) {
	ms := t.UnixMilli()
	if ms%1000 == 0 {
		return strconv.AppendInt(nil, ms/1000, 10), nil
	}
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', 3, 64), nil
}

// UnmarshalJSON reads a number of seconds since the epoch.
func (t *EpochSeconds) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > 1e13 {
		return &json.UnmarshalTypeError{Value: "timestamp " + string(b), Type: epochType}
	}
	sec, frac := math.Modf(f)
	t.Time = time.Unix(int64(sec), int64(math.Round(frac*1000))*int64(time.Millisecond)).UTC()
	return nil
}

// DateTime is a timestamp sent as an RFC 3339 string.
type DateTime struct{ time.Time }

// MarshalJSON writes the time in RFC 3339 with millisecond precision, in UTC.
func (t DateTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Format("2006-01-02T15:04:05.000Z"))
}

// UnmarshalJSON reads an RFC 3339 string.
func (t *DateTime) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &json.UnmarshalTypeError{Value: "timestamp " + string(b), Type: dateTimeType}
	}
	v, err := ParseDateTime(s)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

// ParseDateTime parses an RFC 3339 timestamp.
func ParseDateTime(s string) (time.Time, error) {
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q is not RFC 3339", s)
	}
	return v.UTC(), nil
}

// Epoch returns t as an EpochSeconds pointer.
func Epoch(t time.Time) *EpochSeconds { return &EpochSeconds{t.UTC()} }

// ISO returns t as a DateTime pointer.
func ISO(t time.Time) *DateTime { return &DateTime{t.UTC()} }

var (
	epochType    = reflect.TypeFor[EpochSeconds]()
	dateTimeType = reflect.TypeFor[DateTime]()
)
