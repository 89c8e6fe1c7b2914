package dynamostore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/catalog/catalogtest"
)

// TestContract runs the catalog contract against the DynamoDB-protocol server at CATALOG_TEST_DYNAMODB_ENDPOINT
// (eval "$(scripts/dynalite.sh start)" sets it), a table of its own for every test.
func TestContract(t *testing.T) {
	catalogtest.Run(t, opener(testEndpoint(t)))
}

// testEndpoint returns CATALOG_TEST_DYNAMODB_ENDPOINT, skipping the test when it is unset, except in CI where that is
// a failure: the DynamoDB backend must not go untested there.
func testEndpoint(t *testing.T) string {
	t.Helper()
	ep := os.Getenv("CATALOG_TEST_DYNAMODB_ENDPOINT")
	if ep == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CATALOG_TEST_DYNAMODB_ENDPOINT is empty but CI=true: the DynamoDB backend must be tested in CI; " +
				`run eval "$(scripts/dynalite.sh start)" before go test`)
		}
		t.Skip(`CATALOG_TEST_DYNAMODB_ENDPOINT is not set; run eval "$(scripts/dynalite.sh start)" to test the DynamoDB backend`)
	}
	return ep
}

// testClient is a client of the local server at ep.
func testClient(t *testing.T, ep string) *dynamodb.Client {
	t.Helper()
	client, err := NewClient(t.Context(), Config{Table: "unused", Endpoint: ep})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return client
}

// newTable creates a table with a random name and deletes it when t ends.
func newTable(t *testing.T, client *dynamodb.Client) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	name := "imgpipe_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := CreateTable(ctx, client, name); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	t.Cleanup(func() {
		// t.Context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
			t.Errorf("delete table %s: %v", name, err)
		}
	})
	return name
}

// opener gives each test its own table and opens it again, through a new client as a second Lambda container
// would, on later calls with the same t.
func opener(ep string) catalogtest.Opener {
	var mu sync.Mutex
	tables := map[*testing.T]string{}
	return func(t *testing.T) catalog.Store {
		t.Helper()
		mu.Lock()
		name, ok := tables[t]
		mu.Unlock()
		if !ok {
			name = newTable(t, testClient(t, ep))
			mu.Lock()
			tables[t] = name
			mu.Unlock()
		}
		s, err := Open(t.Context(), Config{Table: name, Endpoint: ep})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	}
}
