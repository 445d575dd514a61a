package gateway_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/amplifybackendapi"
	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/gateway"
)

// echoAll fills every operation of a generated Handlers struct (a pointer)
// with a handler that answers an empty output, so a fuzzer reaches the
// decoders and validators of every operation.
func echoAll(h any) {
	v := reflect.ValueOf(h).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		ft := f.Type()
		f.Set(reflect.MakeFunc(ft, func(args []reflect.Value) []reflect.Value {
			errNil := reflect.Zero(reflect.TypeFor[error]())
			if ft.NumOut() == 1 {
				return []reflect.Value{errNil}
			}
			return []reflect.Value{reflect.New(ft.Out(0).Elem()), errNil}
		}))
	}
}

func echoGateway() *gateway.Gateway {
	tr, ab, qa := &transferapi.Handlers{}, &amplifybackendapi.Handlers{}, &qappsapi.Handlers{}
	echoAll(tr)
	echoAll(ab)
	echoAll(qa)
	return gateway.New(gateway.Options{Services: []*api.Service{tr.Service(), ab.Service(), qa.Service()}, Logger: slog.New(slog.DiscardHandler)})
}

func TestEchoGatewayAnswersEveryOperation(t *testing.T) {
	gw := echoGateway()
	req := httptest.NewRequest("POST", "/", bytes.NewReader([]byte(`{"ServerId":"s-0123456789abcdef0"}`)))
	req.Header.Set("X-Amz-Target", "TransferService.DescribeServer")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	rec := httptest.NewRecorder()
	gw.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Body.String() != "{}" {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
}

// FuzzAWSJSON feeds arbitrary targets and bodies to the awsJson1_1 decoder
// and validators: nothing may answer 5xx or panic.
func FuzzAWSJSON(f *testing.F) {
	gw := echoGateway()
	f.Add("TransferService.UpdateAccess", []byte(`{"ServerId":"s-0123456789abcdef0","ExternalId":"S-1-1-12-1234567890-123456789-1234567890-1234","HomeDirectoryMappings":[{"Entry":"/","Target":"/b"}],"PosixProfile":{"Uid":1,"Gid":2,"SecondaryGids":[3]}}`))
	f.Add("TransferService.CreateServer", []byte(`{"Protocols":["SFTP","FTP"],"Tags":[{"Key":"k","Value":"v"}],"IdentityProviderDetails":{"Url":"https://x"}}`))
	f.Add("TransferService.ListHostKeys", []byte(`{"ServerId":"s-0123456789abcdef0","MaxResults":0}`))
	f.Add("TransferService.ImportCertificate", []byte(`{"Usage":"SIGNING","Certificate":"-----BEGIN","ActiveDate":1e300}`))
	f.Add("TransferService.CreateWebApp", []byte(`{"WebAppUnits":{"Provisioned":1},"IdentityProviderDetails":{"IdentityCenterConfig":{}}}`))
	f.Add("TransferService.DescribeServer", []byte(`{"ServerId":"\xff\xfe"}`))
	f.Add("Nope.X", []byte(`[[[[[[[[[[]]]]]]]]]]`))
	f.Fuzz(func(t *testing.T, target string, body []byte) {
		req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		rec := httptest.NewRecorder()
		gw.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("target %q body %q: status %d %s", target, body, rec.Code, rec.Body)
		}
	})
}

// FuzzRESTJSON feeds arbitrary methods, paths, queries, headers and bodies to
// the restJson1 router, binder, decoder and validators.
func FuzzRESTJSON(f *testing.F) {
	gw := echoGateway()
	f.Add("POST", "/backend/app/api/dev", "", "", []byte(`{"resourceName":"r","resourceConfig":{"defaultAuthType":{"mode":"API_KEY"}}}`))
	f.Add("GET", "/apps.get", "appId=3f5a2b8c-1d4e-4f6a-9b7c-0d1e2f3a4b5c&appVersion=2", "i", []byte(``))
	f.Add("POST", "/apps.create", "", "inst", []byte(`{"title":"t","appDefinition":{"cards":[{"textInput":{"title":"a","id":"3f5a2b8c-1d4e-4f6a-9b7c-0d1e2f3a4b5c","type":"text-input"},"qQuery":{}}]}}`))
	f.Add("DELETE", "/tags/arn%3Aaws%3Aqapps", "tagKeys=a&tagKeys=b", "", []byte(``))
	f.Add("GET", "/backend/a/job/b/c", "%zz", "", []byte(`{`))
	f.Add("POST", "/runtime.startQAppSession", "", "i", []byte(`{"appId":"x","appVersion":"1","initialValues":[{"cardId":"c","value":"v"}]}`))
	f.Fuzz(func(t *testing.T, method, path, query, instance string, body []byte) {
		req, err := http.NewRequest(method, "http://localhost"+path, bytes.NewReader(body))
		if err != nil {
			return // not a request a client could send
		}
		req.URL.RawQuery = query
		req.Header.Set("instance-id", instance)
		rec := httptest.NewRecorder()
		gw.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s?%s body %q: status %d %s", method, path, query, body, rec.Code, rec.Body)
		}
	})
}
