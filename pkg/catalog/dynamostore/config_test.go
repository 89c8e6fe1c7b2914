package dynamostore

import (
	"strings"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	cases := map[string]struct {
		env  map[string]string
		want Config
	}{
		"aws": {
			env:  map[string]string{"CATALOG_TABLE": "imgpipe-catalog", "AWS_REGION": "eu-west-1"},
			want: Config{Table: "imgpipe-catalog", Region: "eu-west-1"},
		},
		"local with default credentials and region": {
			env: map[string]string{"CATALOG_TABLE": "catalog", "DYNAMODB_ENDPOINT": "http://127.0.0.1:4567"},
			want: Config{Table: "catalog", Region: DefaultLocalRegion, Endpoint: "http://127.0.0.1:4567",
				AccessKeyID: DefaultLocalAccessKeyID, SecretAccessKey: DefaultLocalSecretAccessKey},
		},
		"local with credentials and tuning": {
			env: map[string]string{"CATALOG_TABLE": "catalog", "DYNAMODB_ENDPOINT": "https://localhost:8000", "AWS_REGION": "local",
				"DYNAMODB_ACCESS_KEY_ID": "k", "DYNAMODB_SECRET_ACCESS_KEY": "s", "DYNAMODB_MAX_ATTEMPTS": "2",
				"DYNAMODB_ATTEMPT_TIMEOUT": "500ms"},
			want: Config{Table: "catalog", Region: "local", Endpoint: "https://localhost:8000", AccessKeyID: "k", SecretAccessKey: "s",
				MaxAttempts: 2, AttemptTimeout: 500 * time.Millisecond},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ConfigFromEnv(func(k string) string { return tc.env[k] })
			if err != nil {
				t.Fatalf("ConfigFromEnv: %v", err)
			}
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestConfigFromEnvErrors(t *testing.T) {
	cases := map[string]struct {
		env map[string]string
		// want are substrings that must all be in the joined error.
		want []string
	}{
		"nothing": {
			env:  map[string]string{},
			want: []string{"CATALOG_TABLE", "AWS_REGION"},
		},
		"bad table name and numbers": {
			env: map[string]string{"CATALOG_TABLE": "my table", "AWS_REGION": "us-east-1", "DYNAMODB_MAX_ATTEMPTS": "many",
				"DYNAMODB_ATTEMPT_TIMEOUT": "3"},
			want: []string{`table name "my table"`, "DYNAMODB_MAX_ATTEMPTS", "DYNAMODB_ATTEMPT_TIMEOUT"},
		},
		"static credentials in aws": {
			env:  map[string]string{"CATALOG_TABLE": "catalog", "AWS_REGION": "us-east-1", "DYNAMODB_ACCESS_KEY_ID": "AKIA", "DYNAMODB_SECRET_ACCESS_KEY": "hidden"},
			want: []string{"local DYNAMODB_ENDPOINT only"},
		},
		"bad endpoint, half the credentials, too many attempts": {
			env: map[string]string{"CATALOG_TABLE": "catalog", "DYNAMODB_ENDPOINT": "127.0.0.1:4567", "DYNAMODB_ACCESS_KEY_ID": "k",
				"DYNAMODB_MAX_ATTEMPTS": "50"},
			want: []string{"127.0.0.1:4567", "or neither", "0..10"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ConfigFromEnv(func(k string) string { return tc.env[k] })
			if err == nil {
				t.Fatal("ConfigFromEnv succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hidden") {
				t.Errorf("error %q shows the secret key", err)
			}
		})
	}
}

func TestWithDefaults(t *testing.T) {
	got := Config{Table: "t", Endpoint: "http://127.0.0.1:1"}.withDefaults()
	want := Config{Table: "t", Endpoint: "http://127.0.0.1:1", Region: DefaultLocalRegion, AccessKeyID: DefaultLocalAccessKeyID,
		SecretAccessKey: DefaultLocalSecretAccessKey, MaxAttempts: DefaultMaxAttempts, MaxBackoff: DefaultMaxBackoff,
		AttemptTimeout: DefaultAttemptTimeout}
	if got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}
