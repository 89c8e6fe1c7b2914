package serve

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// The fixtures are aws-lambda-go's recorded events: two Function URL requests (one captured from a real URL), an
// HTTP API request and a REST API request.
func TestOneHandlerForBothCallers(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write([]byte{0xff, 0xd8, 0xff, 0x00, 0x80}) // binary, not UTF-8
	})
	handler := LambdaHandler(h)
	for file, url := range map[string]bool{
		"function-url-request.json": true, "function-url-captured-get.json": true,
		"http-v2-request.json": false, "rest-v1-request.json": false,
	} {
		raw, err := os.ReadFile("testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		if got := IsFunctionURLEvent(raw); got != url {
			t.Errorf("%s: IsFunctionURLEvent = %v", file, got)
		}
		out, err := handler(t.Context(), raw)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if url {
			resp, ok := out.(*events.LambdaFunctionURLStreamingResponse)
			if !ok {
				t.Fatalf("%s: %T, want a streaming response", file, out)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || string(body) != "\xff\xd8\xff\x00\x80" {
				t.Fatalf("%s: %d %q", file, resp.StatusCode, body)
			}
			continue
		}
		b, _ := json.Marshal(out)
		var resp struct {
			StatusCode      int    `json:"statusCode"`
			Body            string `json:"body"`
			IsBase64Encoded bool   `json:"isBase64Encoded"`
		}
		if json.Unmarshal(b, &resp) != nil || resp.StatusCode != 200 || !resp.IsBase64Encoded || resp.Body != "/9j/AIA=" {
			t.Fatalf("%s: %s", file, b)
		}
	}
}
