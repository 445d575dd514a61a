// Command apigen generates Ersatz's service APIs from the AWS models.
//
//	go run ./internal/codegen/cmd/apigen -models ../shared/models -out internal/api
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/ersatz-dev/ersatz/internal/codegen"
)

func main() {
	models := flag.String("models", "../shared/models", "folder holding botocore/ and smithy/ model copies")
	out := flag.String("out", "internal/api", "folder to write the generated packages into")
	flag.Parse()
	if err := codegen.WriteAll(*models, *out); err != nil {
		fmt.Fprintln(os.Stderr, "apigen:", err)
		os.Exit(1)
	}
}
