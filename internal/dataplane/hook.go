package dataplane

import (
	"context"
	"reflect"
	"strings"
)

var (
	ctxType = reflect.TypeFor[context.Context]()
	errType = reflect.TypeFor[error]()
)

// UploadHookFor adapts a value with a method
//
//	FileUploaded(ctx context.Context, ev E) error
//
// (the transfer service's OnUpload entry point, whatever its event type E)
// into an UploadHook, or returns nil when v has no such method. E is a
// struct (or a pointer to one); its exported fields are filled from the
// Upload by name, case-insensitively, with these aliases: ServerId,
// User/Username, BucketName/FileSystemId, FilePath, FileSize/Bytes,
// AccountId, SessionId, UploadTime/Timestamp. Fields of other names or
// types stay zero.
func UploadHookFor(v any) UploadHook {
	if v == nil {
		return nil
	}
	mv := reflect.ValueOf(v).MethodByName("FileUploaded")
	if !mv.IsValid() {
		return nil
	}
	t := mv.Type()
	if t.NumIn() != 2 || t.In(0) != ctxType || t.NumOut() != 1 || t.Out(0) != errType {
		return nil
	}
	evType := t.In(1)
	structType := evType
	if structType.Kind() == reflect.Pointer {
		structType = structType.Elem()
	}
	if structType.Kind() != reflect.Struct {
		return nil
	}
	return func(ctx context.Context, u Upload) error {
		ev := reflect.New(structType)
		fillEvent(ev.Elem(), u)
		arg := ev
		if evType.Kind() != reflect.Pointer {
			arg = ev.Elem()
		}
		out := mv.Call([]reflect.Value{reflect.ValueOf(ctx), arg})
		if err, _ := out[0].Interface().(error); err != nil {
			return err
		}
		return nil
	}
}

func fillEvent(dst reflect.Value, u Upload) {
	values := map[string]any{
		"account": u.Account, "accountid": u.Account, "region": u.Region,
		"serverid": u.ServerID, "username": u.UserName, "user": u.UserName,
		"protocol": u.Protocol, "domain": u.Domain,
		"path": u.Path, "filepath": u.Path, "virtualpath": u.Path,
		"bucket": u.Bucket, "bucketname": u.Bucket, "filesystemid": u.Bucket, "container": u.Bucket,
		"key": u.Key, "size": u.Size, "filesize": u.Size, "bytes": u.Size,
		"sessionid": u.SessionID, "time": u.Time, "uploadtime": u.Time, "timestamp": u.Time,
	}
	t := dst.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		v, ok := values[strings.ToLower(f.Name)]
		if !ok {
			continue
		}
		rv := reflect.ValueOf(v)
		fv := dst.Field(i)
		switch {
		case rv.Type().AssignableTo(f.Type):
			fv.Set(rv)
		case rv.Kind() == reflect.Int64 && fv.CanInt():
			fv.SetInt(rv.Int())
		case f.Type.Kind() == reflect.Pointer && rv.Type().AssignableTo(f.Type.Elem()):
			p := reflect.New(f.Type.Elem())
			p.Elem().Set(rv)
			fv.Set(p)
		}
	}
}
