package dynamostore

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Defaults applied by Open and ConfigFromEnv.
const (
	// DefaultMaxAttempts is how often the SDK tries one request: the DynamoDB client's own default (the first
	// try and three retries), spelled out so that it does not change under an SDK upgrade. Throttling and 5xx
	// answers and network errors are retried; a failed condition is an answer and never retried.
	DefaultMaxAttempts = 4
	// DefaultMaxBackoff caps the SDK's wait between attempts. DynamoDB's client starts at 25 ms for errors and
	// at 1 s for throttling, doubling with jitter; the cap keeps a throttled call inside a few seconds of a
	// Lambda invocation (at most about 1+2+2 s of waiting) instead of the SDK's 20 s.
	DefaultMaxBackoff = 2 * time.Second
	// DefaultAttemptTimeout bounds one HTTP attempt. DynamoDB answers in milliseconds; an attempt that hangs (a
	// connection that died while the Lambda container was frozen) is abandoned and retried rather than using up
	// the invocation. The caller's context deadline bounds the whole call on top of it.
	DefaultAttemptTimeout = 3 * time.Second
	// DefaultLocalRegion is the signing region for a local endpoint when AWS_REGION is not set; local servers
	// accept any.
	DefaultLocalRegion = "us-east-1"
	// DefaultLocalAccessKeyID and DefaultLocalSecretAccessKey are the static credentials sent to a local
	// endpoint when none are configured: local servers want a signature but check no key.
	DefaultLocalAccessKeyID     = "local"
	DefaultLocalSecretAccessKey = "local"
)

// Config says how to reach the catalog table.
type Config struct {
	// Table is the table's name (CATALOG_TABLE). Required.
	Table string
	// Region is the AWS region (AWS_REGION, which Lambda sets). Required unless Endpoint is set.
	Region string
	// Endpoint is a local DynamoDB-protocol server, such as "http://127.0.0.1:4567" from scripts/dynalite.sh
	// (DYNAMODB_ENDPOINT). Empty in AWS, where the SDK resolves the regional endpoint.
	Endpoint string
	// AccessKeyID and SecretAccessKey are static credentials for Endpoint (DYNAMODB_ACCESS_KEY_ID,
	// DYNAMODB_SECRET_ACCESS_KEY), DefaultLocalAccessKeyID/DefaultLocalSecretAccessKey when empty. Without an
	// Endpoint they must be empty: in AWS the function's role provides credentials through the SDK's chain.
	AccessKeyID     string
	SecretAccessKey string
	// MaxAttempts is DefaultMaxAttempts when 0 (DYNAMODB_MAX_ATTEMPTS).
	MaxAttempts int
	// MaxBackoff is DefaultMaxBackoff when 0.
	MaxBackoff time.Duration
	// AttemptTimeout is DefaultAttemptTimeout when 0 (DYNAMODB_ATTEMPT_TIMEOUT, a Go duration such as "3s").
	AttemptTimeout time.Duration
}

// ConfigFromEnv reads a Config through getenv (os.Getenv in main, a map in tests), collecting every problem, and
// validates it. The variables are:
//
//	CATALOG_TABLE               table name (required)
//	AWS_REGION                  region (set by Lambda; defaults to us-east-1 with DYNAMODB_ENDPOINT)
//	DYNAMODB_ENDPOINT           local server URL, e.g. http://127.0.0.1:4567; unset in AWS
//	DYNAMODB_ACCESS_KEY_ID      static key for DYNAMODB_ENDPOINT (default "local")
//	DYNAMODB_SECRET_ACCESS_KEY  static secret for DYNAMODB_ENDPOINT (default "local")
//	DYNAMODB_MAX_ATTEMPTS       tries per request, first included (default 4)
//	DYNAMODB_ATTEMPT_TIMEOUT    timeout of one HTTP attempt (default 3s)
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var errs []error
	cfg := Config{
		Table:           strings.TrimSpace(getenv("CATALOG_TABLE")),
		Region:          strings.TrimSpace(getenv("AWS_REGION")),
		Endpoint:        strings.TrimSpace(getenv("DYNAMODB_ENDPOINT")),
		AccessKeyID:     getenv("DYNAMODB_ACCESS_KEY_ID"),
		SecretAccessKey: getenv("DYNAMODB_SECRET_ACCESS_KEY"),
	}
	if s := strings.TrimSpace(getenv("DYNAMODB_MAX_ATTEMPTS")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("dynamostore: DYNAMODB_MAX_ATTEMPTS=%q is not an integer", s))
		}
		cfg.MaxAttempts = n
	}
	if s := strings.TrimSpace(getenv("DYNAMODB_ATTEMPT_TIMEOUT")); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("dynamostore: DYNAMODB_ATTEMPT_TIMEOUT=%q is not a duration such as 3s", s))
		}
		cfg.AttemptTimeout = d
	}
	if cfg.Endpoint != "" {
		if cfg.Region == "" {
			cfg.Region = DefaultLocalRegion
		}
		if cfg.AccessKeyID == "" && cfg.SecretAccessKey == "" {
			cfg.AccessKeyID, cfg.SecretAccessKey = DefaultLocalAccessKeyID, DefaultLocalSecretAccessKey
		}
	}
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	return cfg, errors.Join(errs...)
}

// tableName is DynamoDB's rule for table names.
var tableName = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)

// Validate reports every problem with c, joined. It never includes the secret key in an error.
func (c Config) Validate() error {
	var errs []error
	if c.Table == "" {
		errs = append(errs, errors.New("dynamostore: the table name (CATALOG_TABLE) is required"))
	} else if !tableName.MatchString(c.Table) {
		errs = append(errs, fmt.Errorf("dynamostore: table name %q is not 3-255 of A-Z a-z 0-9 _ . -", c.Table))
	}
	if c.Endpoint == "" {
		if c.Region == "" {
			errs = append(errs, errors.New("dynamostore: the region (AWS_REGION) is required without DYNAMODB_ENDPOINT"))
		}
		if c.AccessKeyID != "" || c.SecretAccessKey != "" {
			errs = append(errs, errors.New("dynamostore: static credentials (DYNAMODB_ACCESS_KEY_ID, DYNAMODB_SECRET_ACCESS_KEY) "+
				"are for a local DYNAMODB_ENDPOINT only; in AWS the function's role is used"))
		}
	} else {
		if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("dynamostore: endpoint %q (DYNAMODB_ENDPOINT) is not an http(s)://host:port URL", c.Endpoint))
		}
		if (c.AccessKeyID == "") != (c.SecretAccessKey == "") {
			errs = append(errs, errors.New("dynamostore: set both DYNAMODB_ACCESS_KEY_ID and DYNAMODB_SECRET_ACCESS_KEY, or neither"))
		}
	}
	if c.MaxAttempts < 0 || c.MaxAttempts > 10 {
		errs = append(errs, fmt.Errorf("dynamostore: max attempts %d (DYNAMODB_MAX_ATTEMPTS) is not in 0..10", c.MaxAttempts))
	}
	if c.MaxBackoff < 0 || c.AttemptTimeout < 0 {
		errs = append(errs, fmt.Errorf("dynamostore: backoff %s and attempt timeout %s (DYNAMODB_ATTEMPT_TIMEOUT) must not be negative",
			c.MaxBackoff, c.AttemptTimeout))
	}
	return errors.Join(errs...)
}

// withDefaults fills the zero values.
func (c Config) withDefaults() Config {
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.AttemptTimeout == 0 {
		c.AttemptTimeout = DefaultAttemptTimeout
	}
	if c.Endpoint != "" {
		if c.Region == "" {
			c.Region = DefaultLocalRegion
		}
		if c.AccessKeyID == "" {
			c.AccessKeyID, c.SecretAccessKey = DefaultLocalAccessKeyID, DefaultLocalSecretAccessKey
		}
	}
	return c
}
